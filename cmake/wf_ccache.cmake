# ccache as compiler launcher when present; the torch PCH stays cacheable with these sloppiness flags.
find_program(WF_CCACHE ccache)
if(WF_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      ${WF_CCACHE})
endif()
