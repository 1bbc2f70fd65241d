# libtorch (Debian's CPU 1.13 for the dev preset, a CUDA 2.x through CMAKE_PREFIX_PATH for the cuda preset)
# and the one precompiled header that every torch-using target shares.
find_package(Torch REQUIRED)
message(STATUS "libtorch ${Torch_VERSION}: ${TORCH_INSTALL_PREFIX}")

# CUDA builds of libtorch list their CUDA libraries; Debian's CPU build lists none.
if(TORCH_CUDA_LIBRARIES)
  set(WF_TORCH_CUDA 1)
else()
  set(WF_TORCH_CUDA 0)
endif()

add_library(wf_torch_pch OBJECT ${CMAKE_CURRENT_LIST_DIR}/torch_pch.cpp)
target_link_libraries(wf_torch_pch PUBLIC ${TORCH_LIBRARIES})
wf_target_defaults(wf_torch_pch)
target_precompile_headers(wf_torch_pch PRIVATE <torch/torch.h>)
target_compile_definitions(wf_torch_pch PRIVATE WF_TORCH_CUDA=${WF_TORCH_CUDA})

# wf_use_torch(<target>): link libtorch and reuse the shared torch PCH.
function(wf_use_torch target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_precompile_headers(${target} REUSE_FROM wf_torch_pch)
  target_compile_definitions(${target} PRIVATE WF_TORCH_CUDA=${WF_TORCH_CUDA})
endfunction()
