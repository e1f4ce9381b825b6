<?php
/**
 * @package Storeflow
 */

use Storeflow\Admin\Connection;
use Storeflow\Settings;

final class ConnectionTest extends StoreflowTestCase {

	private const AUTHORIZE = 'https://shop.example/wc-auth/v1/authorize?app_name=Storeflow&scope=read_write&user_id=n0nce&return_url=x&callback_url=y';

	protected function setUp(): void {
		parent::setUp();
		update_option( Settings::OPTION, array( 'service_url' => 'https://storeflow.example' ) );
		$_GET = array();
	}

	public function test_start_posts_store_secret_and_return_url_and_returns_the_authorize_url(): void {
		StoreflowTestWorld::$responses = array( $this->answer( 200, array( 'authorize_url' => self::AUTHORIZE ) ) );

		$this->assertSame( self::AUTHORIZE, Connection::start( str_repeat( 'ab', 32 ) ) );

		$request = StoreflowTestWorld::$requests[0];
		$this->assertSame( 'https://storeflow.example/connect/woocommerce/start', $request['url'] );
		$this->assertSame(
			array( 'store_url' => 'https://shop.example', 'shared_secret' => str_repeat( 'ab', 32 ), 'return_url' => 'https://shop.example/wp-admin/admin.php?page=storeflow&storeflow_return=' . wp_create_nonce( 'storeflow_return' ) ),
			json_decode( $request['args']['body'], true )
		);
	}

	public function test_start_refuses_an_authorize_url_on_another_host(): void {
		StoreflowTestWorld::$responses = array( $this->answer( 200, array( 'authorize_url' => 'https://evil.example/wc-auth/v1/authorize?x=1' ) ) );

		$this->assertInstanceOf( WP_Error::class, Connection::start( 'secret' ) );
	}

	public function test_start_reports_service_errors(): void {
		StoreflowTestWorld::$responses = array( $this->answer( 500, array() ), new WP_Error( 'http', 'refused' ) );

		$this->assertInstanceOf( WP_Error::class, Connection::start( 'secret' ) );
		$this->assertInstanceOf( WP_Error::class, Connection::start( 'secret' ) );
	}

	public function test_authorize_url_must_be_this_stores_wc_auth_screen(): void {
		$this->assertTrue( Connection::is_store_authorize_url( self::AUTHORIZE ) );
		$this->assertFalse( Connection::is_store_authorize_url( 'http://shop.example/wc-auth/v1/authorize' ) );
		$this->assertFalse( Connection::is_store_authorize_url( 'https://shop.example/wp-login.php' ) );
		$this->assertFalse( Connection::is_store_authorize_url( 'not a url' ) );
	}

	public function test_approved_return_from_wc_auth_switches_to_the_new_secret(): void {
		Settings::save_connection( 'connected', 'old-secret' );
		Settings::save_pending_secret( self::SECRET );
		$this->assertSame( 'old-secret', Settings::secret(), 'old connection keeps working until approval' );
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = $this->returned( '1' ) + array( 'user_id' => 'n0nce' );

		$this->assertRedirectsTo( 'storeflow_notice=connected' );
		$this->assertTrue( Settings::is_connected() );
		$this->assertSame( self::SECRET, Settings::secret() );
	}

	public function test_denied_return_forgets_the_new_secret_and_keeps_the_old_connection(): void {
		Settings::save_connection( 'connected', 'old-secret' );
		Settings::save_pending_secret( self::SECRET );
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = $this->returned( '0' );

		$this->assertRedirectsTo( 'storeflow_notice=denied' );
		$this->assertSame( 'old-secret', Settings::secret() );
		$this->assertSame( '', Settings::connection()['pending_secret'] );
	}

	public function test_denied_first_connection_stays_disconnected(): void {
		Settings::save_pending_secret( self::SECRET );
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = $this->returned( '0' );

		$this->assertRedirectsTo( 'storeflow_notice=denied' );
		$this->assertFalse( Settings::is_connected() );
	}

	public function test_return_without_a_pending_connection_changes_nothing(): void {
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = array( 'page' => 'storeflow', 'success' => '1' );

		Connection::complete();

		$this->assertFalse( Settings::is_connected() );
	}

	public function test_return_without_our_nonce_settles_nothing(): void {
		Settings::save_pending_secret( self::SECRET );
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = array( 'page' => 'storeflow', 'success' => '1', 'user_id' => 'n0nce' );

		$this->assertRedirectsTo( 'storeflow_notice=return_refused' );
		$this->assertFalse( Settings::is_connected() );
		$this->assertSame( self::SECRET, Settings::connection()['pending_secret'], 'the real approval can still come back' );
	}

	public function test_return_with_another_admins_nonce_settles_nothing(): void {
		Settings::save_pending_secret( self::SECRET );
		StoreflowTestWorld::$user_id = 2;
		$_GET                        = $this->returned( '1' );
		StoreflowTestWorld::$user_id = 1;

		$this->assertRedirectsTo( 'storeflow_notice=return_refused' );
		$this->assertFalse( Settings::is_connected() );
	}

	public function test_return_by_a_user_who_cannot_manage_woocommerce_changes_nothing(): void {
		Settings::save_pending_secret( self::SECRET );
		$_GET = $this->returned( '1' );

		Connection::complete();

		$this->assertFalse( Settings::is_connected() );
	}

	public function test_array_query_arguments_are_ignored_without_a_warning(): void {
		Settings::save_pending_secret( self::SECRET );
		StoreflowTestWorld::$user_id = 1;
		$_GET                        = array( 'page' => 'storeflow', 'success' => array( '1' ), Connection::RETURN_NONCE => wp_create_nonce( Connection::RETURN_NONCE ) );

		Connection::complete();

		$this->assertFalse( Settings::is_connected() );
	}

	public function test_the_shared_secret_is_not_autoloaded(): void {
		Settings::save_pending_secret( self::SECRET );
		$this->assertFalse( StoreflowTestWorld::$autoload[ Settings::CONNECTION_OPTION ] );

		Settings::settle_pending( true );
		$this->assertSame( self::SECRET, Settings::secret() );
		$this->assertFalse( StoreflowTestWorld::$autoload[ Settings::CONNECTION_OPTION ] );
	}

	/** The query wc-auth sends the admin back with: our return URL's nonce plus success and user_id. */
	private function returned( string $success ): array {
		return array( 'page' => 'storeflow', Connection::RETURN_NONCE => wp_create_nonce( Connection::RETURN_NONCE ), 'success' => $success );
	}

	private function assertRedirectsTo( string $fragment ): void {
		try {
			Connection::complete();
			$this->fail( 'no redirect' );
		} catch ( StoreflowRedirect $redirect ) {
			$this->assertStringContainsString( $fragment, $redirect->getMessage() );
		}
	}

	/** @param array<string, mixed> $body */
	private function answer( int $code, array $body ): array {
		return array( 'response' => array( 'code' => $code ), 'body' => json_encode( $body ) );
	}
}
