// Taking a card with Stripe.js, for servers whose payment provider is Stripe. Stripe requires
// its script to come from its own origin (never bundled), so it is injected by a script tag
// the first time a card form shows, never in the first load; the server's CSP lets that origin
// in only when Stripe is configured (docs/pots.md, "Going live with Stripe").
import { api, ok, type Schemas } from "../../api/http";
import { lang } from "../../i18n";

export type PaymentConfig = Schemas["PaymentConfig"];
type StripeConfig = Schemas["StripeConfig"];

/** What Colletta uses of Stripe.js: the card element and `confirmCardPayment`. */
export interface CardElement {
  mount(target: HTMLElement): void;
  destroy(): void;
  clear?(): void; // Stripe's has it; a stand-in may not
  on(event: "change", handler: (event?: { complete?: boolean; error?: { message?: string } }) => void): void;
}

export interface StripeError {
  message?: string;
  code?: string;
}

export interface ConfirmResult {
  error?: StripeError | null;
  paymentIntent?: { status?: string };
}

export interface StripeJs {
  elements(options?: { locale?: string }): { create(type: "card", options?: object): CardElement };
  confirmCardPayment(clientSecret: string, data: { payment_method: { card: CardElement } }): Promise<ConfirmResult>;
}

declare global {
  interface Window {
    Stripe?: (publishableKey: string, options?: { locale?: string }) => StripeJs;
  }
}

let config: Promise<PaymentConfig> | null = null;

/** How this server takes payments; asked once, again only after a failure. */
export function paymentConfig(): Promise<PaymentConfig> {
  config ??= ok(api.GET("/api/v1/payments/config")).catch((caught: unknown) => {
    config = null;
    throw caught;
  });
  return config;
}

let loading: Promise<StripeJs> | null = null;

/** Stripe.js, loaded once (a failed load is tried again on the next call). */
export function loadStripe(stripe: StripeConfig): Promise<StripeJs> {
  loading ??= new Promise<StripeJs>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = stripe.js_url;
    script.async = true;
    script.onload = () => {
      if (window.Stripe) resolve(window.Stripe(stripe.publishable_key, { locale: lang }));
      else reject(new Error("Stripe.js did not load"));
    };
    script.onerror = () => {
      script.remove();
      reject(new Error("Stripe.js did not load"));
    };
    document.head.append(script);
  }).catch((caught: unknown) => {
    loading = null;
    throw caught;
  });
  return loading;
}

/** Whether a confirmed PaymentIntent took the money (or will: `processing`); the pot counts
 * it once the webhook lands. */
export function paid(result: ConfirmResult): boolean {
  const status = result.paymentIntent?.status;
  return !result.error && (status === "succeeded" || status === "processing");
}
