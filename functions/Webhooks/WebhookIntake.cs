using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Automation.Runtime;
using Automation.Storage;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Automation.Webhooks;

/// <summary>
/// <c>POST /api/webhooks/shopify</c> and <c>/api/webhooks/woocommerce</c>. Authenticates the raw body, then does one
/// storage operation (enqueue) and answers 200. It never parses the payload, calls a platform or sends mail:
/// deduplication, keeping and translation happen in <see cref="ProcessWebhookDelivery"/>.
/// </summary>
public sealed partial class WebhookIntake(StoreRegistry stores, StorageClients storage, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookIntake> logger)
{
    private readonly WebhookOptions _options = options.Value;

    [Function("ReceiveShopifyWebhook")]
    public Task<IResult> ReceiveShopify([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/shopify")] HttpRequest request) =>
        ReceiveAsync(request, Platform.Shopify);

    [Function("ReceiveWooCommerceWebhook")]
    public Task<IResult> ReceiveWooCommerce([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "webhooks/woocommerce")] HttpRequest request) =>
        ReceiveAsync(request, Platform.WooCommerce);

    public async Task<IResult> ReceiveAsync(HttpRequest request, Platform platform)
    {
        var context = request.HttpContext;
        if (request.ContentLength > _options.MaxBodyBytes)
        {
            return TooLarge(platform);
        }

        using var body = await ReadBodyAsync(request, context.RequestAborted);
        if (body is null)
        {
            return TooLarge(platform);
        }

        var source = platform == Platform.Shopify
            ? Header(request, "X-Shopify-Shop-Domain") ?? Header(request, "shopify-shop-domain")
            : Header(request, "X-WC-Webhook-Source");
        var signature = platform == Platform.Shopify
            ? Header(request, "X-Shopify-Hmac-Sha256") ?? Header(request, "shopify-hmac-sha256")
            : Header(request, "X-WC-Webhook-Signature");

        if (platform == Platform.WooCommerce && signature is null && IsWooPing(body.Span))
        {
            // WooCommerce's unsigned creation ping must get exactly 200, and is not an event.
            logger.LogInformation("WooCommerce webhook creation ping acknowledged");
            return Results.Ok();
        }

        var store = stores.FindBySource(platform, source);
        if (store is null || !WebhookSignature.IsValid(body.Span, signature, store.WebhookSecrets))
        {
            logger.LogWarning("Refused a {Platform} delivery: {Reason}", platform, store is null ? "unknown store" : "signature does not match");
            AutomationTelemetry.DeliveryRefused(platform.ToString(), store is null ? "unknown-store" : "signature");
            return Results.Text("Unauthorized: the signature does not match a configured store.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var topic = platform == Platform.Shopify
            ? Header(request, "X-Shopify-Topic") ?? Header(request, "shopify-topic")
            : Header(request, "X-WC-Webhook-Topic");
        var (text, base64) = WebhookDelivery.EncodeBody(body.Span);
        var delivery = new WebhookDelivery
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()).ToString("N"),
            StoreId = store.Id,
            Platform = platform,
            Topic = topic ?? "",
            ReceivedAt = time.GetUtcNow(),
            Headers = KeptHeaders(request),
            Body = text,
            BodyBase64 = base64,
            TraceParent = AutomationTelemetry.CurrentTraceParent,
        };

        var message = BinaryData.FromObjectAsJson(delivery, Json.Options);
        if (message.ToMemory().Length > _options.InlineLimitBytes)
        {
            // Large bodies: one more operation, the blob, before the pointer is queued.
            var container = await storage.ContainerAsync(BlobContainers.WebhookBodies);
            var blobName = $"{store.Id}/{delivery.Id}";
            await container.GetBlobClient(blobName).UploadAsync(new BinaryData(body.Memory), overwrite: true, context.RequestAborted);
            message = BinaryData.FromObjectAsJson(delivery with { Body = null, BodyBase64 = null, BodyBlob = blobName }, Json.Options);
        }

        var queue = await storage.QueueAsync(QueueNames.WebhookDeliveries);
        await queue.SendMessageAsync(message, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: CancellationToken.None);
        AutomationTelemetry.DeliveryAccepted(platform.ToString(), store.Id);
        return Results.Ok();
    }

    private IResult TooLarge(Platform platform)
    {
        AutomationTelemetry.DeliveryRefused(platform.ToString(), "too-large");
        return Results.Text($"Payload too large: the limit is {_options.MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
    }

    /// <summary>Reads at most MaxBodyBytes; null when the body is larger.</summary>
    private async Task<PooledBody?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var capacity = (int)Math.Min(request.ContentLength ?? 16 * 1024, _options.MaxBodyBytes) + 1;
        var buffer = new PooledBody(capacity);
        try
        {
            while (true)
            {
                if (buffer.Free == 0)
                {
                    if (buffer.Length > _options.MaxBodyBytes)
                    {
                        buffer.Dispose();
                        return null;
                    }

                    buffer.Grow(Math.Min(buffer.Length * 2, _options.MaxBodyBytes + 1));
                }

                var read = await request.Body.ReadAsync(buffer.FreeMemory, cancellationToken);
                if (read == 0) break;
                buffer.Advance(read);
                if (buffer.Length > _options.MaxBodyBytes)
                {
                    buffer.Dispose();
                    return null;
                }
            }

            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static bool IsWooPing(ReadOnlySpan<byte> body) => body.Length < 64 && WooPing().IsMatch(Encoding.ASCII.GetString(body));

    private static string? Header(HttpRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    private static Dictionary<string, string> KeptHeaders(HttpRequest request)
    {
        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Headers)
        {
            if (name.StartsWith("x-shopify-", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("shopify-", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("x-wc-", StringComparison.OrdinalIgnoreCase)
                || name.Equals("content-type", StringComparison.OrdinalIgnoreCase)
                || name.Equals("user-agent", StringComparison.OrdinalIgnoreCase))
            {
                kept[name.ToLowerInvariant()] = value.ToString();
            }
        }

        return kept;
    }

    [GeneratedRegex(@"^webhook_id=\d+$")]
    private static partial Regex WooPing();

    private sealed class PooledBody(int capacity) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }
        public int Free => _buffer.Length - Length;
        public Memory<byte> FreeMemory => _buffer.AsMemory(Length);
        public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);
        public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

        public void Advance(int count) => Length += count;

        public void Grow(int size)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(size, _buffer.Length + 1));
            _buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        public void Dispose()
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
