-- wrk: MC's CreateApp, a new Docker app per request (thread and count):
-- the Controller's checks, the generated manifest, a global id.
local threads = 0

function setup(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end

local count = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  count = count + 1
  local body = string.format(
    '{"Region":"local","App":{"key":{"organization":"benchdev","name":"app-%d-%d","version":"1.0"},' ..
    '"image_type":"Docker","image_path":"nginx","access_ports":"tcp:80","default_flavor":{"name":"seed-0001"}}}',
    thread_id, count)
  return wrk.format(nil, nil, nil, body)
end
