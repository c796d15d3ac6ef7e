;; purpose: the book's running example: main dlopens a library while it runs, dlsym places the library's `square` in main's table, and main calls it through call_indirect, as C calls a function pointer
(module definition $libsq
  (import "env" "memory" (memory 1))
  (global $calls (mut i32) (i32.const 0))
  ;; an active data segment: written into main's memory when the library loads
  (data (i32.const 32) "libsq loaded")
  (func (export "square") (param i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.mul (local.get 0) (local.get 0))))

(module $main
  (import "lockstep" "dlopen" (func $dlopen (param i32 i32) (result i32)))
  (import "lockstep" "dlsym" (func $dlsym (param i32 i32 i32) (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table (export "table") 1 funcref)
  (data (i32.const 0) "libsq")
  (data (i32.const 16) "square")
  ;; dlsym(dlopen("libsq"), "square"): the table slot of `square`
  (func (export "load") (result i32)
    (call $dlsym (call $dlopen (i32.const 0) (i32.const 5)) (i32.const 16) (i32.const 6)))
  ;; a call through a C function pointer: call_indirect at the slot
  (func (export "call") (param $fp i32) (param $x i32) (result i32)
    (call_indirect (type $i_i) (local.get $x) (local.get $fp)))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))

(assert_return (invoke $main "load") (i32.const 1))
(assert_return (invoke $main "call" (i32.const 1) (i32.const 7)) (i32.const 49))
;; the library's data segment wrote main's memory: "libsq loaded" at 32
(assert_return (invoke $main "byte" (i32.const 32)) (i32.const 0x6c))
;; slot 0 was never written: the C null pointer
(assert_trap (invoke $main "call" (i32.const 0) (i32.const 7)) "uninitialized element")
