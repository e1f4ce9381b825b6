<?php
// Smoke test only: just enough of WooCommerce for the admin side of the plugin to boot.
class WooCommerce { public $version = '6.6.0'; public $cart = null; public $session = null; }
function WC() { static $wc = null; return $wc ??= new WooCommerce(); }
function wc_get_logger() { return new class() { public function __call( $n, $a ) { error_log( "wc_log {$n}: " . $a[0] ); } }; }
function as_enqueue_async_action( $hook, $args = array(), $group = '' ) { $q = get_option( 'smoke_actions', array() ); $q[] = array( $hook, $args, $group ); update_option( 'smoke_actions', $q ); return 1; }
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) { update_option( 'smoke_unscheduled', array( $hook, $group ) ); }
