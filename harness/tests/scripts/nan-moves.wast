;; purpose: NaNs are compared exactly where the spec fixes their bits, and
;; by class only where an arithmetic rule chose them (§4.3.3).
(module
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "add") (param f32 f32) (result f32) (f32.add (local.get 0) (local.get 1))))
;; A move: the payload is fixed, so a flipped payload bit is a divergence.
(assert_return (invoke "neg" (f32.const nan:0x200000)) (f32.const -nan:0x200000))
;; Arithmetic: any arithmetic NaN may come out, so a flipped bit is allowed.
(assert_return (invoke "add" (f32.const nan:0x200000) (f32.const 1)) (f32.const nan:arithmetic))
;; Arithmetic on canonical NaNs only: the set is the canonical NaNs, so a
;; flipped payload bit (an arithmetic, non-canonical NaN) is a divergence.
(assert_return (invoke "add" (f32.const nan) (f32.const 1)) (f32.const nan:canonical))
