<?php
/**
 * Print, as a JSON object, the headers the plugin would send for an event body.
 *
 * Usage: php sign-event.php <secret> <timestamp> <body-file> [topic] [store-url]
 * (topic defaults to cart.updated, store-url to https://shop.example). Used by the service's
 * tests to prove both sides sign byte for byte the same way.
 *
 * @package Storeflow
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}
define( 'STOREFLOW_CLI', true );
require_once dirname( __DIR__ ) . '/includes/EventSigner.php';

if ( $argc < 4 || ! ctype_digit( $argv[2] ) ) {
	fwrite( STDERR, "usage: php sign-event.php <secret> <timestamp> <body-file> [topic] [store-url]\n" );
	exit( 2 );
}
$storeflow_body = file_get_contents( $argv[3] );
if ( false === $storeflow_body ) {
	fwrite( STDERR, "cannot read body file: {$argv[3]}\n" );
	exit( 2 );
}
try {
	$storeflow_headers = Storeflow\EventSigner::headers(
		$argv[1],
		$argv[5] ?? 'https://shop.example',
		$argv[4] ?? 'cart.updated',
		$storeflow_body,
		(int) $argv[2],
		Storeflow\EventSigner::delivery_id()
	);
} catch ( InvalidArgumentException $error ) {
	fwrite( STDERR, $error->getMessage() . "\n" );
	exit( 2 );
}
echo json_encode( $storeflow_headers, JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT ), "\n";
