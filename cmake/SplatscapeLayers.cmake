# Each layer sees only the headers of the layers it may depend on (docs/design.md, "Layers are link targets").
# A layer's headers are reached through a per-target include root that holds links to the allowed
# layer folders only, so `#include "training/..."` from core fails to compile, not just to link.
function(splatscape_layer_includes target)
    set(root ${CMAKE_BINARY_DIR}/layer_include/${target})
    file(MAKE_DIRECTORY ${root})
    foreach(layer IN LISTS ARGN)
        if(NOT EXISTS ${root}/${layer})
            file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${layer} ${root}/${layer} SYMBOLIC)
        endif()
    endforeach()
    target_include_directories(${target} PUBLIC ${root})
endfunction()
