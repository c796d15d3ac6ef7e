;; purpose: every check counted once and for what it is. Deliberately
;; wrong in places: harness/tests/lockstep.rs expects exactly these verdicts.
;; line 4: decided by the text format (the `wast` crate rejects the text).
(assert_malformed (module quote "(func (i32.const))") "unexpected token")
;; line 6: passes: the model's validator rejects it.
(assert_invalid (module (func (result i32))) "type mismatch")
;; line 8: fails: invalid, not malformed (the decoder accepts it).
(assert_malformed (module (func (result i32))) "type mismatch")
;; lines 10, 12: pass: an unknown import, and an incompatible one.
(assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import")
;; (line 12)
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i64)))) "incompatible import type")
;; line 14: fails: the failure is an unknown import, not an incompatible one.
(assert_unlinkable (module (import "spectest" "nothing" (func))) "incompatible import type")
;; line 16: fails: the module inside assert_trap does not compile.
(assert_trap (module (func $start (result i32)) (start $start)) "unreachable")
;; lines 19-22: skipped: the model does not run SIMD, and so every module
;; importing from it is skipped too, whatever it asserts.
(module $simd (func (export "g")) (func (result v128) (v128.const i64x2 0 0)))
(register "simd" $simd)
(module (import "simd" "g" (func)))
(assert_unlinkable (module (import "simd" "g" (func (param i32)))) "incompatible import type")
