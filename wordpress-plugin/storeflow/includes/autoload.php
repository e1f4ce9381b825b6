<?php
/**
 * Class autoloader: Storeflow\Admin\SettingsPage lives in includes/Admin/SettingsPage.php.
 *
 * @package Storeflow
 */

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( string $class_name ): void {
		if ( 0 !== strpos( $class_name, 'Storeflow\\' ) ) {
			return;
		}
		$path = __DIR__ . '/' . str_replace( '\\', '/', substr( $class_name, strlen( 'Storeflow\\' ) ) ) . '.php';
		if ( is_readable( $path ) ) {
			require_once $path;
		}
	}
);
