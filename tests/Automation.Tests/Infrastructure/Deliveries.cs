using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Automation.Tests.Infrastructure;

/// <summary>Builds signed deliveries the way Shopify and WooCommerce send them.</summary>
public static class Deliveries
{
    public static HttpRequestMessage Shopify(string shopDomain, string topic, string body, string secret, string? eventId = null, string? triggeredAt = null)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/shopify") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Shopify-Topic", topic);
        request.Headers.Add("X-Shopify-Shop-Domain", shopDomain);
        request.Headers.Add("X-Shopify-Hmac-Sha256", Sign(bytes, secret));
        request.Headers.Add("X-Shopify-API-Version", "2025-10");
        request.Headers.Add("X-Shopify-Webhook-Id", Guid.NewGuid().ToString());
        request.Headers.Add("X-Shopify-Event-Id", eventId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-Shopify-Triggered-At", triggeredAt ?? DateTimeOffset.UtcNow.ToString("O"));
        return request;
    }

    public static HttpRequestMessage WooCommerce(string source, string topic, string body, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/woocommerce") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var parts = topic.Split('.');
        request.Headers.Add("X-WC-Webhook-Source", source);
        request.Headers.Add("X-WC-Webhook-Topic", topic);
        request.Headers.Add("X-WC-Webhook-Resource", parts[0]);
        request.Headers.Add("X-WC-Webhook-Event", parts[^1]);
        request.Headers.Add("X-WC-Webhook-Signature", Sign(bytes, secret));
        request.Headers.Add("X-WC-Webhook-ID", "42");
        request.Headers.Add("X-WC-Webhook-Delivery-ID", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        return request;
    }

    public static string Sign(byte[] body, string secret) => Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A fixture from tests/Automation.Tests/Fixtures.</summary>
    public static string Fixture(string relativePath) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", relativePath));
}
