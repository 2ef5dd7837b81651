-- wrk script: POST a random body from a file, with an optional bearer token.
-- usage: wrk ... -s bench/bodies.lua URL -- BODIES_FILE [TOKEN]
local bodies, token, counter = {}, nil, 0

init = function(args)
  for line in io.lines(args[1]) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  token = args[2]
  counter = math.random(#bodies)
end

request = function()
  counter = counter % #bodies + 1
  local headers = { ["Content-Type"] = "application/json" }
  if token and #token > 0 then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("POST", nil, headers, bodies[counter])
end
