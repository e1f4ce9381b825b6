<?php
/**
 * Just enough WordPress and WooCommerce for unit tests: options, sanitisers, notices, HTTP and
 * Action Scheduler calls are recorded in StoreflowTestWorld so tests can assert on them.
 *
 * @package Storeflow
 */

define( 'ABSPATH', __DIR__ . '/' );

require_once __DIR__ . '/fakes/world.php';
require_once __DIR__ . '/fakes/wpdb.php';
require_once __DIR__ . '/fakes/wordpress.php';
require_once __DIR__ . '/fakes/woocommerce.php';
require_once dirname( __DIR__ ) . '/includes/autoload.php';
require_once __DIR__ . '/StoreflowTestCase.php';
