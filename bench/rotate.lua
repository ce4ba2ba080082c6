-- wrk script: requests the paths listed (one per line) in the file named by the first
-- script argument, in turn, so that no two requests in a row ask for the same thing.
local paths = {}
local next_path = 0

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

function request()
  next_path = next_path % #paths + 1
  return wrk.format(nil, paths[next_path])
end
