-- wrk: MC's events searches (show, terms) with the default 48-hour window.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{}'
