# Fails when a module includes a header of a module it must not depend on (STYLE.md "Layout").
# Arrows: cli -> reports -> planner -> formats; cli -> probes -> platform; cli -> kernels ->
# formats, platform; everything -> common.
set(forbidden
  "common:formats|planner|probes|kernels|reports|cli|platform"
  "platform:formats|planner|probes|kernels|reports|cli"
  "formats:planner|probes|kernels|reports|cli|platform"
  "planner:probes|kernels|reports|cli|platform"
  "probes:planner|kernels|reports|cli"
  "kernels:planner|probes|reports|cli"
  "reports:probes|kernels|cli|platform")
set(failures "")
foreach(rule IN LISTS forbidden)
  string(REPLACE ":" ";" parts "${rule}")
  list(GET parts 0 module)
  list(GET parts 1 targets)
  file(GLOB_RECURSE sources "${SOURCE_DIR}/${module}/*.h" "${SOURCE_DIR}/${module}/*.cpp" "${SOURCE_DIR}/${module}/*.cu")
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" lines REGEX "#include [\"<](${targets})/")
    if(lines)
      list(APPEND failures "${source}: ${lines}")
    endif()
  endforeach()
endforeach()
if(failures)
  string(REPLACE ";" "\n" text "${failures}")
  message(FATAL_ERROR "forbidden includes:\n${text}")
endif()
message(STATUS "layering ok")
