;; purpose: mutable globals exported by main and written by a side (all four number types) are seen by main, by the script and by a second importer; an immutable import of a mutable global does not link
(module $main
  (global $i (export "gi") (mut i32) (i32.const 1))
  (global $l (export "gl") (mut i64) (i64.const 2))
  (global $f (export "gf") (mut f32) (f32.const 3.5))
  (global $d (export "gd") (mut f64) (f64.const 4.25))
  (global (export "const") i32 (i32.const 9))
  (func (export "read_i") (result i32) (global.get $i))
  (func (export "read_l") (result i64) (global.get $l))
  (func (export "read_f") (result f32) (global.get $f))
  (func (export "read_d") (result f64) (global.get $d)))
(register "main" $main)

(module $writer
  (import "main" "gi" (global $i (mut i32)))
  (import "main" "gl" (global $l (mut i64)))
  (import "main" "gf" (global $f (mut f32)))
  (import "main" "gd" (global $d (mut f64)))
  (func (export "write")
    (global.set $i (i32.add (global.get $i) (i32.const 41)))
    (global.set $l (i64.const 0x7fffffffffffffff))
    (global.set $f (f32.const -0.0))
    (global.set $d (f64.const 0x1.fffffffffffffp+1023))))
(module $reader
  (import "main" "gi" (global $i (mut i32)))
  (func (export "read") (result i32) (global.get $i)))

(assert_return (invoke $reader "read") (i32.const 1))
(invoke $writer "write")
(assert_return (invoke $main "read_i") (i32.const 42))
(assert_return (invoke $main "read_l") (i64.const 0x7fffffffffffffff))
(assert_return (invoke $main "read_f") (f32.const -0.0))
(assert_return (invoke $main "read_d") (f64.const 0x1.fffffffffffffp+1023))
(assert_return (get $main "gi") (i32.const 42))
(assert_return (get $main "gf") (f32.const -0.0))
(assert_return (invoke $reader "read") (i32.const 42))
(invoke $writer "write")
(assert_return (invoke $reader "read") (i32.const 83))

;; mutability must match exactly, in both directions
(assert_unlinkable
  (module (import "main" "gi" (global i32)))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "const" (global (mut i32))))
  "incompatible import type")
(assert_unlinkable
  (module (import "main" "gi" (global (mut i64))))
  "incompatible import type")
