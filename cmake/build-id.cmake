# Writes OUT holding the source commit (with -dirty for uncommitted changes), run
# at every build so the id printed by `tl --version` is never stale. The file is
# only touched when the id changes, so an unchanged tree relinks nothing.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=12
  OUTPUT_VARIABLE id OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT id)
  set(id unknown)
endif()
file(WRITE "${OUT}.tmp" "const char tl_build_id[] = \"${id}\";\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
