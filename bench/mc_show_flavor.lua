-- wrk: MC's ShowFlavor over every flavor of the region (a streamed answer).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"Region":"local","Flavor":{}}'
