;; purpose: table.init from a side's passive segment into main's table; after elem.drop (and for active and declarative segments, dropped at instantiation) only a zero-length init at a valid offset succeeds
(module $main
  (type $v_i (func (result i32)))
  (table (export "table") 6 funcref)
  (func (export "call") (param i32) (result i32) (call_indirect (type $v_i) (local.get 0)))
  (func (export "is_null") (param i32) (result i32) (ref.is_null (table.get (local.get 0)))))
(register "main" $main)

(module $side
  (type $v_i (func (result i32)))
  (import "main" "table" (table 6 funcref))
  (func $a (type $v_i) (i32.const 1))
  (func $b (type $v_i) (i32.const 2))
  (func $c (type $v_i) (i32.const 3))
  (elem $passive func $a $b $c)
  (elem $active (i32.const 5) func $c)
  (elem $decl declare func $a)
  (func (export "init") (param i32 i32 i32) (table.init $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (elem.drop $passive))
  (func (export "init_active") (param i32 i32 i32) (table.init $active (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init_decl") (param i32 i32 i32) (table.init $decl (local.get 0) (local.get 1) (local.get 2))))

(assert_return (invoke $main "call" (i32.const 5)) (i32.const 3))
(invoke $side "init" (i32.const 0) (i32.const 1) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 2))
(assert_return (invoke $main "call" (i32.const 1)) (i32.const 3))
;; source range past the segment: traps, nothing written
(assert_trap (invoke $side "init" (i32.const 2) (i32.const 2) (i32.const 2)) "out of bounds table access")
(assert_return (invoke $main "is_null" (i32.const 2)) (i32.const 1))
;; destination range past the table: traps, nothing written
(assert_trap (invoke $side "init" (i32.const 4) (i32.const 0) (i32.const 3)) "out of bounds table access")
(assert_return (invoke $main "is_null" (i32.const 4)) (i32.const 1))
(invoke $side "init" (i32.const 2) (i32.const 0) (i32.const 3))
(assert_return (invoke $main "call" (i32.const 2)) (i32.const 1))
(assert_return (invoke $main "call" (i32.const 4)) (i32.const 3))

(invoke $side "drop")
(invoke $side "drop")
(invoke $side "init" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke $side "init" (i32.const 6) (i32.const 0) (i32.const 0))
(assert_trap (invoke $side "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")
(assert_trap (invoke $side "init" (i32.const 0) (i32.const 1) (i32.const 0)) "out of bounds table access")
(assert_trap (invoke $side "init" (i32.const 7) (i32.const 0) (i32.const 0)) "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 2))

;; the active and the declarative segments were dropped at instantiation
(invoke $side "init_active" (i32.const 0) (i32.const 0) (i32.const 0))
(assert_trap (invoke $side "init_active" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")
(invoke $side "init_decl" (i32.const 0) (i32.const 0) (i32.const 0))
(assert_trap (invoke $side "init_decl" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds table access")
(assert_return (invoke $main "call" (i32.const 0)) (i32.const 2))
