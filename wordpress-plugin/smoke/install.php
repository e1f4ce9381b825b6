<?php
// Install a blank WordPress site for the smoke test, with the plugin active and an administrator
// who has WooCommerce's manage_woocommerce capability.
define( 'WP_INSTALLING', true );
$_SERVER['HTTP_HOST'] = 'shop.example';
require getenv( 'WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'Smoke shop', 'admin', 'admin@shop.example', false, '', wp_generate_password() );
get_role( 'administrator' )->add_cap( 'manage_woocommerce' );
update_option( 'active_plugins', array( 'storeflow/storeflow.php' ) );
