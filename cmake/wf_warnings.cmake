# wf_target_defaults(<target>): warnings and sanitizers for our own targets only.
function(wf_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  endif()
  # GCC 12's libstdc++ raises false -Wrestrict, -Wstringop-overflow and -Warray-bounds on std::string concatenation at -O2
  # (GCC bugs 105329, 105651), fixed in GCC 13.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-stringop-overflow -Wno-array-bounds)
  endif()
  if(WF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(WF_SANITIZE)
    # Under -fsanitize=address GCC 12 also raises a false -Wmaybe-uninitialized in libstdc++'s <regex> (the
    # std::function inside each NFA state it moves), in every file that includes it.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
    list(JOIN WF_SANITIZE "," _wf_san)
    target_compile_options(${target} PRIVATE -fsanitize=${_wf_san} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${_wf_san})
  endif()
endfunction()
