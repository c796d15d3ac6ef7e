;; A loop of call_indirect through a table of four functions: table
;; dispatch and the type check dominate.
(module
  (type $op (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $inc $dbl $neg $sq)
  (func $inc (type $op) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $op) (i32.shl (local.get 0) (i32.const 1)))
  (func $neg (type $op) (i32.sub (i32.const 0) (local.get 0)))
  (func $sq (type $op) (i32.mul (local.get 0) (local.get 0)))
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc
        (call_indirect (type $op) (local.get $acc) (i32.and (local.get $i) (i32.const 3))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc)))
