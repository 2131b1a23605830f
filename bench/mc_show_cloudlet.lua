-- wrk: MC's ShowCloudlet over every cloudlet of the region (a streamed answer).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"Region":"local","Cloudlet":{}}'
