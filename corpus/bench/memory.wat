;; A load/store loop over one page: memory access dominates.
(module
  (memory 1)
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $sum i32) (local $addr i32)
    (loop $next
      (local.set $addr (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0xfffc)))
      (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (local.get $i)))
      (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=1 (local.get $addr))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum)))
