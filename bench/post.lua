-- wrk: a bodiless POST (MC's show/current operations).
wrk.method = "POST"
