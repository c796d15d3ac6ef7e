;; purpose: dlsym into a caller whose exported table holds externref cannot put a function there: it returns -1 and the table keeps its size and slots
;;
;; dlsym places the function with `table_grow` of the embedding API (A.1.8),
;; one slot holding a reference to it. A function reference is not an
;; externref (§4.5.2 "Value Typing"), and a table holds only references of
;; its element type (§A.5 "Store Validity"), so the grow is refused before
;; any effect, as by every engine's `Table::grow`; the host sees no slot.
(module definition $side
  (func (export "f") (result i32) (i32.const 42)))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 externref)
  (data (i32.const 0) "side")
  (data (i32.const 16) "f")
  (func (export "open") (result i32) (call $dlopen (i32.const 0) (i32.const 4)))
  (func (export "sym_f") (result i32) (call $dlsym (i32.const 0) (i32.const 16) (i32.const 1)))
  (func (export "size") (result i32) (table.size))
  (func (export "slot0_is_null") (result i32) (ref.is_null (table.get (i32.const 0)))))

(assert_return (invoke $main "open") (i32.const 0))
(assert_return (invoke $main "sym_f") (i32.const -1))
(assert_return (invoke $main "size") (i32.const 1))
(assert_return (invoke $main "slot0_is_null") (i32.const 1))
;; asked again: refused again (no slot was remembered), still nothing written
(assert_return (invoke $main "sym_f") (i32.const -1))
(assert_return (invoke $main "size") (i32.const 1))
(assert_return (invoke $main "slot0_is_null") (i32.const 1))
