-- wrk: MC's CreateFlavor, a new flavor name per request (thread and count).
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
    '{"Region":"local","Flavor":{"key":{"name":"bench-%d-%d"},"ram":1024,"vcpus":1,"disk":10}}', thread_id, count)
  return wrk.format(nil, nil, nil, body)
end
