-- wrk: MC's ShowAppInst over every instance of the region (a streamed answer).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"Region":"local","AppInst":{}}'
