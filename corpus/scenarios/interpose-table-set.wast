;; purpose: interposition: a side overwrites main's table slot with table.set (a wrapper that calls the original import); main's next call_indirect reaches the wrapper; restoring the slot restores the original
(module $main
  (type $i_i (func (param i32) (result i32)))
  (table (export "table") 2 funcref)
  (global $heap (mut i32) (i32.const 1000))
  (func $malloc (type $i_i)
    (global.get $heap)
    (global.set $heap (i32.add (global.get $heap) (local.get 0))))
  (elem (i32.const 0) func $malloc)
  (export "malloc" (func $malloc))
  ;; main always allocates through its function pointer in slot 0
  (func (export "alloc") (param i32) (result i32) (call_indirect (type $i_i) (local.get 0) (i32.const 0))))
(register "main" $main)

(assert_return (invoke $main "alloc" (i32.const 8)) (i32.const 1000))
(assert_return (invoke $main "alloc" (i32.const 8)) (i32.const 1008))

(module $tracer
  (type $i_i (func (param i32) (result i32)))
  (import "main" "table" (table $t 2 funcref))
  (import "main" "malloc" (func $real (type $i_i)))
  (global $calls (export "calls") (mut i32) (i32.const 0))
  (global $bytes (export "bytes") (mut i32) (i32.const 0))
  (elem declare func $wrapper $real)
  ;; counts, pads every request to 16, calls the real allocator
  (func $wrapper (type $i_i)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.set $bytes (i32.add (global.get $bytes) (local.get 0)))
    (call $real (i32.const 16)))
  (func (export "install") (table.set $t (i32.const 0) (ref.func $wrapper)))
  (func (export "uninstall") (table.set $t (i32.const 0) (ref.func $real))))

(invoke $tracer "install")
(assert_return (invoke $main "alloc" (i32.const 3)) (i32.const 1016))
(assert_return (invoke $main "alloc" (i32.const 5)) (i32.const 1032))
(assert_return (get $tracer "calls") (i32.const 2))
(assert_return (get $tracer "bytes") (i32.const 8))
;; main's direct export is not interposed
(assert_return (invoke $main "malloc" (i32.const 1)) (i32.const 1048))
(invoke $tracer "uninstall")
(assert_return (invoke $main "alloc" (i32.const 2)) (i32.const 1049))
(assert_return (get $tracer "calls") (i32.const 2))

;; a second interposer chains on whatever the slot holds now (read with table.get at install)
(module $chain
  (type $i_i (func (param i32) (result i32)))
  (import "main" "table" (table $t 2 funcref))
  (table $saved 1 funcref)
  (elem declare func $wrapper)
  (func $wrapper (type $i_i)
    (i32.add (call_indirect $saved (type $i_i) (local.get 0) (i32.const 0)) (i32.const 1000000)))
  (func (export "install")
    (table.set $saved (i32.const 0) (table.get $t (i32.const 0)))
    (table.set $t (i32.const 0) (ref.func $wrapper))))
(invoke $tracer "install")
(invoke $chain "install")
(assert_return (invoke $main "alloc" (i32.const 1)) (i32.const 1001051))
(assert_return (get $tracer "calls") (i32.const 3))
