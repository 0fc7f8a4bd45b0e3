# Docs that drift fail: every console transcript in README.md and docs/, and the layout diagram.
add_test(NAME docs.transcripts COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_docs.py
         ${CMAKE_SOURCE_DIR})
set_tests_properties(docs.transcripts PROPERTIES LABELS docs TIMEOUT 600 RUN_SERIAL TRUE)
# docs/ARCHITECTURE.md's layer table against every #include of the tree.
add_test(NAME docs.architecture COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/test_architecture.py
         ${CMAKE_SOURCE_DIR})
set_tests_properties(docs.architecture PROPERTIES LABELS "docs;host" TIMEOUT 60)
include(${CMAKE_CURRENT_LIST_DIR}/granule_table.cmake)  # docs/granules.md: the layout at 4K, 16K and 64K
