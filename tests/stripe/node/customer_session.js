// An ordinary stripe-node integration, pointed at Tessera: node customer_session.js KEY URL
const Stripe = require("stripe");

const [key, base] = process.argv.slice(2);
const url = new URL(base);
const stripe = new Stripe(key, {
  host: url.hostname,
  port: url.port,
  protocol: url.protocol.replace(":", ""),
  maxNetworkRetries: 0,
});

(async () => {
  const customer = await stripe.customers.create({ email: "node@example.com" });
  const session = await stripe.customerSessions.create({
    customer: customer.id,
    components: {
      payment_element: {
        enabled: true,
        features: {
          payment_method_redisplay: "enabled",
          payment_method_allow_redisplay_filters: ["always", "limited"],
        },
      },
    },
    expand: ["customer"],
  });
  let error = null;
  try {
    await stripe.customerSessions.create({
      customer: "cus_missing",
      components: { buy_button: { enabled: true } },
    });
  } catch (e) {
    error = { type: e.type, code: e.code, param: e.param, status: e.statusCode };
  }
  console.log(JSON.stringify({ customer: customer.id, session, error }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
