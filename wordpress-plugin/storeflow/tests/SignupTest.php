<?php
/**
 * @package Storeflow
 */

use Storeflow\Outbox;
use Storeflow\Signup;

final class SignupTest extends StoreflowTestCase {

	private const NOW = 1795000000; // 2026-11-18T... UTC

	protected function setUp(): void {
		parent::setUp();
		$this->connected_store();
	}

	public function test_the_shortcode_and_the_block_render_the_same_form(): void {
		Signup::register();
		Signup::register_block();

		$this->assertSame( array( Signup::class, 'render' ), StoreflowTestWorld::$shortcodes['storeflow_signup'] );
		$block = StoreflowTestWorld::$blocks['storeflow/signup'];
		$this->assertSame( array( Signup::class, 'render' ), $block['render_callback'] );
		$this->assertSame( 'storeflow-signup-block', $block['editor_script'] );
		$this->assertStringEndsWith( 'assets/js/signup-block.js', StoreflowTestWorld::$scripts['storeflow-signup-block']['src'] );
		$this->assertNotEmpty( StoreflowTestWorld::$hooks['admin_post_nopriv_storeflow_signup'] );

		$html = Signup::render();
		$this->assertStringContainsString( 'action="https://shop.example/wp-admin/admin-post.php"', $html );
		$this->assertStringContainsString( 'name="action" value="storeflow_signup"', $html );
		$this->assertStringContainsString( 'type="email" id="storeflow-signup-email" name="email" required', $html );
		$this->assertStringContainsString( 'name="consent" value="1" required', $html );
		$this->assertStringContainsString( 'news and offers from Sklep Ani', $html );
		$this->assertStringContainsString( 'name="birthday"', $html );
	}

	public function test_a_sign_up_with_consent_is_queued_for_the_service(): void {
		StoreflowTestWorld::$user_id = 7;
		$delivery = Signup::accept( $this->form( array( 'birthday' => '1990-11-23' ) ), self::NOW );

		$this->assertNotNull( $delivery );
		$this->assertSame( array( $delivery, 'newsletter.signup', 1 ), StoreflowTestWorld::$actions[0]['args'] );
		$body = json_decode( (string) Outbox::body( $delivery ), true );
		$this->assertSame(
			array(
				'email'       => 'ala@example.pl',
				'first_name'  => 'Ala',
				'customer_id' => 7,
				'locale'      => 'pl_PL',
				'consent'     => true,
				'birthday'    => '1990-11-23',
				'source'      => 'signup_form',
				'updated_at'  => gmdate( 'Y-m-d\TH:i:s+00:00', self::NOW ),
			),
			$body
		);
		$this->assertCount( 1, Outbox::for_email( 'ala@example.pl' ) ); // found by the eraser
	}

	public function test_without_the_box_ticked_or_a_valid_email_nothing_is_sent(): void {
		$this->assertNull( Signup::accept( $this->form( array( 'consent' => '' ) ), self::NOW ) );
		$this->assertNull( Signup::accept( $this->form( array( 'email' => 'ala@' ) ), self::NOW ) );
		$this->assertNull( Signup::accept( $this->form( array( 'consent' => array( '1' ) ) ), self::NOW ) );
		$this->assertSame( array(), StoreflowTestWorld::$actions );
	}

	public function test_a_forged_form_or_a_bot_is_refused(): void {
		$this->assertNull( Signup::accept( $this->form( array( '_wpnonce' => 'forged' ) ), self::NOW ) );
		$this->assertNull( Signup::accept( $this->form( array( 'storeflow_website' => 'http://spam.example' ) ), self::NOW ) );
		$this->assertSame( array(), StoreflowTestWorld::$actions );
	}

	public function test_the_form_goes_back_to_its_page_with_the_outcome(): void {
		StoreflowTestWorld::$referer = 'https://shop.example/newsletter/';
		$_POST                       = $this->form();
		try {
			Signup::handle();
			$this->fail( 'no redirect' );
		} catch ( StoreflowRedirect $redirect ) {
			$this->assertSame( 'https://shop.example/newsletter/?storeflow_signup=thanks', $redirect->getMessage() );
		}
		$_GET = array( 'storeflow_signup' => 'thanks' );
		$this->assertStringContainsString( 'Thank you for signing up!', Signup::render() );
		$_GET = array( 'storeflow_signup' => 'invalid' );
		$this->assertStringContainsString( 'tick the box', Signup::render() );
	}

	public function test_a_disconnected_store_shows_no_form_and_sends_nothing(): void {
		Storeflow\Settings::save_connection( 'disconnected', '' );

		$this->assertSame( '', Signup::render() );
		$this->assertNull( Signup::accept( $this->form(), self::NOW ) );
	}

	/**
	 * @param array<string, mixed> $changes
	 * @return array<string, mixed>
	 */
	private function form( array $changes = array() ): array {
		return array_merge(
			array(
				'action'     => 'storeflow_signup',
				'_wpnonce'   => wp_create_nonce( Signup::NONCE ),
				'email'      => 'Ala@Example.pl',
				'first_name' => 'Ala',
				'consent'    => '1',
			),
			$changes
		);
	}
}
