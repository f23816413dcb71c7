-- OSRM profile for motorbikes (sepeda motor) on Indonesian roads: the car profile shipped with OSRM,
-- without toll roads. Motorbikes may not use jalan tol (motorways, their links, or ways tagged
-- toll=yes) unless a way says motorcycle=yes (the Suramadu bridge's motorbike lane).
-- Extract with the car profile's directory on LUA_PATH, e.g.
--   LUA_PATH="$(python -c 'import osrm,os;print(os.path.dirname(osrm.__file__))')/share/profiles/?.lua;;" \
--     osrm-extract -p motorbike.lua java-latest.osm.pbf
local car = require("car")

local function closed_to_motorbikes(way)
  local highway = way:get_value_by_key("highway")
  local motorcycle = way:get_value_by_key("motorcycle")
  if motorcycle == "yes" or motorcycle == "designated" then
    return false
  end
  return highway == "motorway" or highway == "motorway_link" or way:get_value_by_key("toll") == "yes"
end

local function process_way(profile, way, result, relations)
  if closed_to_motorbikes(way) then
    return
  end
  car.process_way(profile, way, result, relations)
end

return {
  setup = car.setup,
  process_way = process_way,
  process_node = car.process_node,
  process_turn = car.process_turn,
}
