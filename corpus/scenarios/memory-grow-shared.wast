;; purpose: memory.grow by one instance is seen at once by the other (memory.size, loads and stores in the new pages); growth fails past the max from either; a later importer needs the grown size only
(module $main
  (memory (export "memory") 1 3)
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
(register "main" $main)

(module $side
  (import "main" "memory" (memory 1))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1))))

(assert_trap (invoke $main "load" (i32.const 65536)) "out of bounds memory access")
(assert_return (invoke $side "grow" (i32.const 1)) (i32.const 1))
(assert_return (invoke $main "size") (i32.const 2))
(invoke $side "store" (i32.const 65536) (i32.const 0x1234))
(assert_return (invoke $main "load" (i32.const 65536)) (i32.const 0x1234))
(invoke $main "store" (i32.const 131068) (i32.const 77))
(assert_return (invoke $side "load" (i32.const 131068)) (i32.const 77))
(assert_trap (invoke $side "load" (i32.const 131069)) "out of bounds memory access")

(assert_return (invoke $main "grow" (i32.const 1)) (i32.const 2))
(assert_return (invoke $side "size") (i32.const 3))
(assert_return (invoke $side "load" (i32.const 196604)) (i32.const 0))
;; at the max (3): 0 succeeds, 1 fails, from either
(assert_return (invoke $side "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke $main "grow" (i32.const 1)) (i32.const -1))
(assert_return (invoke $side "grow" (i32.const 0)) (i32.const 3))
(assert_return (invoke $main "size") (i32.const 3))
(assert_trap (invoke $main "load" (i32.const 196608)) "out of bounds memory access")

;; an importer declaring min 3 links now (the current size stands for the min)
(module $late
  (import "main" "memory" (memory 3 3))
  (func (export "size") (result i32) (memory.size))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(assert_return (invoke $late "size") (i32.const 3))
(assert_return (invoke $late "load" (i32.const 65536)) (i32.const 0x1234))
