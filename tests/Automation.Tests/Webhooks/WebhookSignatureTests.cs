using System.Text;
using Automation.Webhooks;

namespace Automation.Tests.Webhooks;

/// <summary>
/// Expected signatures were computed outside C#, with OpenSSL, so our HMAC is checked against an independent
/// implementation: <c>printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64</c>.
/// </summary>
public sealed class WebhookSignatureTests
{
    private const string ShopifyBody = """{"id":820982911946154508,"email":"jon@example.com","total_price":"199.00"}""";
    private const string ShopifyOpenSslSignature = "LM4dSbZDpLgdwgeIOh1wYg5f+PDj1ntc0GX4+Y4ywv8=";
    private const string WooBody = """{"id":12,"name":"Café mug","stock_quantity":0}""";
    private const string WooOpenSslSignature = "VXpTIF2No8BSFLFekOtJfR0pm4RmFgkAEvxIPa5XCsY=";

    private static readonly byte[] ShopifySecret = Encoding.UTF8.GetBytes("hush-app-secret");
    private static readonly byte[] WooSecret = Encoding.UTF8.GetBytes("wc_s3cret&x");

    [Test]
    public void OpenSslVector_Shopify_IsAccepted() =>
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(ShopifyBody), ShopifyOpenSslSignature, [ShopifySecret]), Is.True);

    [Test]
    public void OpenSslVector_WooCommerceWithNonAsciiBody_IsAccepted() =>
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(WooBody), WooOpenSslSignature, [WooSecret]), Is.True);

    [Test]
    public void OurSignature_MatchesOpenSsl() =>
        Assert.That(WebhookSignature.Sign(Encoding.UTF8.GetBytes(ShopifyBody), ShopifySecret), Is.EqualTo(ShopifyOpenSslSignature));

    [Test]
    public void BodyChangedByOneByte_IsRefused() =>
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(ShopifyBody.Replace("199.00", "199.01", StringComparison.Ordinal)), ShopifyOpenSslSignature, [ShopifySecret]), Is.False);

    [Test]
    public void ReserializedJson_IsRefused()
    {
        // Re-serializing parsed JSON changes bytes (here: whitespace), so the signature must be checked on the raw body.
        var reserialized = System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(ShopifyBody).RootElement, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(reserialized), ShopifyOpenSslSignature, [ShopifySecret]), Is.False);
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("not base64!")]
    [TestCase("c2hvcnQ=")]
    public void MissingOrMalformedSignature_IsRefused(string? header) =>
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(ShopifyBody), header, [ShopifySecret]), Is.False);

    [Test]
    public void PreviousSecretDuringRotation_IsAccepted() =>
        Assert.That(WebhookSignature.IsValid(Encoding.UTF8.GetBytes(ShopifyBody), ShopifyOpenSslSignature, [Encoding.UTF8.GetBytes("new-secret"), ShopifySecret]), Is.True);

    [Test]
    public void EmptyBody_IsRefused() =>
        Assert.That(WebhookSignature.IsValid([], ShopifyOpenSslSignature, [ShopifySecret]), Is.False);
}
