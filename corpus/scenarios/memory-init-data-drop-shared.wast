;; purpose: memory.init from a side's passive data into main's shared memory; data.drop (and active segments, dropped at instantiation) leave only zero-length inits; out-of-bounds ranges write nothing
(module $main
  (memory (export "memory") 1)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "main" $main)

(module $side
  (import "main" "memory" (memory 1))
  (data $hello "hello")
  (data $active (i32.const 100) "A")
  (func (export "init") (param i32 i32 i32) (memory.init $hello (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $hello))
  (func (export "init_active") (param i32 i32 i32) (memory.init $active (local.get 0) (local.get 1) (local.get 2))))

(assert_return (invoke $main "load8" (i32.const 100)) (i32.const 0x41))
(invoke $side "init" (i32.const 10) (i32.const 1) (i32.const 4))
(assert_return (invoke $main "load" (i32.const 10)) (i32.const 0x6f6c6c65))
;; source past the segment, destination past the memory: trap, nothing written
(assert_trap (invoke $side "init" (i32.const 20) (i32.const 3) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke $main "load8" (i32.const 20)) (i32.const 0))
(assert_trap (invoke $side "init" (i32.const 65534) (i32.const 0) (i32.const 3)) "out of bounds memory access")
(assert_return (invoke $main "load8" (i32.const 65534)) (i32.const 0))
(invoke $side "init" (i32.const 65531) (i32.const 0) (i32.const 5))
(assert_return (invoke $main "load8" (i32.const 65535)) (i32.const 0x6f))

(invoke $side "drop")
(invoke $side "drop")
(invoke $side "init" (i32.const 0) (i32.const 0) (i32.const 0))
(invoke $side "init" (i32.const 65536) (i32.const 0) (i32.const 0))
(assert_trap (invoke $side "init" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_trap (invoke $side "init" (i32.const 65537) (i32.const 0) (i32.const 0)) "out of bounds memory access")
(assert_return (invoke $main "load8" (i32.const 0)) (i32.const 0))

(invoke $side "init_active" (i32.const 0) (i32.const 0) (i32.const 0))
(assert_trap (invoke $side "init_active" (i32.const 0) (i32.const 0) (i32.const 1)) "out of bounds memory access")
(assert_return (invoke $main "load8" (i32.const 0)) (i32.const 0))
