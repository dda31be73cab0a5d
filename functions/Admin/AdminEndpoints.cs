using System.Text;
using Automation.Runtime;
using Automation.Storage;
using Automation.Webhooks;
using Azure.Data.Tables;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Admin;

/// <summary>
/// Operator endpoints under <c>/api/admin</c> (<c>AuthorizationLevel.Function</c>: the <c>x-functions-key</c> header must
/// carry <c>Admin:ApiKey</c>, see <see cref="AdminKeyMiddleware"/>). Without a configured key they are closed.
/// </summary>
public sealed class AdminEndpoints(StorageClients storage, TimeProvider time)
{
    [Function("ListDeliveries")]
    public Task<IResult> ListDeliveries([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/deliveries/{storeId}")] HttpRequest request, string storeId) =>
        ListDeliveriesAsync(storeId, request.Query["status"].FirstOrDefault(), int.TryParse(request.Query["top"], out var top) ? top : null, storage, request.HttpContext.RequestAborted);

    [Function("GetDelivery")]
    public Task<IResult> GetDelivery([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/deliveries/{storeId}/{key}")] HttpRequest request, string storeId, string key) =>
        GetDeliveryAsync(storeId, key, storage, request.HttpContext.RequestAborted);

    [Function("ReplayDelivery")]
    public Task<IResult> ReplayDelivery([HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/deliveries/{storeId}/{key}/replay")] HttpRequest request, string storeId, string key) =>
        ReplayDeliveryAsync(storeId, key, storage, time, request.HttpContext.RequestAborted);

    [Function("PeekPoison")]
    public Task<IResult> PeekPoison([HttpTrigger(AuthorizationLevel.Function, "get", Route = "admin/poison/{queue}")] HttpRequest request, string queue) =>
        PeekPoisonAsync(queue, storage, request.HttpContext.RequestAborted);

    [Function("ReplayPoison")]
    public Task<IResult> ReplayPoison([HttpTrigger(AuthorizationLevel.Function, "post", Route = "admin/poison/{queue}/replay")] HttpRequest request, string queue) =>
        ReplayPoisonAsync(queue, int.TryParse(request.Query["count"], out var count) ? count : null, storage, request.HttpContext.RequestAborted);

    private static async Task<IResult> ListDeliveriesAsync(string storeId, string? status, int? top, StorageClients storage, CancellationToken cancellationToken)
    {
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        // Deliveries only: the partition's index rows (Retention.DayIndex and the customer index) sort after '~'.
        var filter = status is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey lt {Retention.DayIndex.DataEnd}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {storeId} and RowKey lt {Retention.DayIndex.DataEnd} and Status eq {status}");
        var limit = Math.Clamp(top ?? 50, 1, 1000);
        var rows = new List<object>(limit);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: limit, select: ["RowKey", "DeliveryId", "Topic", "Platform", "ReceivedAt", "Status", "Reason", "EventCount"], cancellationToken: cancellationToken))
        {
            rows.Add(Summary(row));
            if (rows.Count == limit) break;
        }

        return Results.Ok(rows);
    }

    private static async Task<IResult> GetDeliveryAsync(string storeId, string key, StorageClients storage, CancellationToken cancellationToken)
    {
        if (Retention.DayIndex.IsIndexRow(key)) return Results.NotFound();
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, key, cancellationToken: cancellationToken);
        if (!row.HasValue) return Results.NotFound();
        var entity = row.Value!;
        var body = entity.GetBinary("Body");
        return Results.Ok(new
        {
            summary = Summary(entity),
            dedupeKey = entity.GetString("DedupeKey"),
            headers = entity.GetString("Headers"),
            body = body is null ? null : Encoding.UTF8.GetString(body),
            bodyBlob = entity.GetString("BodyBlob"),
        });
    }

    private static async Task<IResult> ReplayDeliveryAsync(string storeId, string key, StorageClients storage, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Retention.DayIndex.IsIndexRow(key)) return Results.NotFound();
        var table = await storage.TableAsync(TableNames.WebhookDeliveries);
        var row = await table.GetEntityIfExistsAsync<TableEntity>(storeId, key, cancellationToken: cancellationToken);
        if (!row.HasValue) return Results.NotFound();
        var entity = row.Value!;
        var headers = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(entity.GetString("Headers") ?? "{}") ?? [];
        var body = entity.GetBinary("Body");
        var (text, base64) = body is null ? (null, null) : WebhookDelivery.EncodeBody(body);
        var delivery = new WebhookDelivery
        {
            Id = entity.GetString("DeliveryId") ?? Guid.CreateVersion7(time.GetUtcNow()).ToString("N"),
            StoreId = storeId,
            Platform = Enum.Parse<Stores.Platform>(entity.GetString("Platform") ?? "Shopify"),
            Topic = entity.GetString("Topic") ?? "",
            ReceivedAt = entity.GetDateTimeOffset("ReceivedAt") ?? time.GetUtcNow(),
            Headers = headers,
            Body = text,
            BodyBase64 = base64,
            BodyBlob = entity.GetString("BodyBlob"),
            Replay = true,
        };
        var queue = await storage.QueueAsync(QueueNames.WebhookDeliveries);
        await queue.SendMessageAsync(BinaryData.FromObjectAsJson(delivery, Json.Options), cancellationToken: cancellationToken);
        return Results.Accepted(value: new { replayed = key });
    }

    private static async Task<IResult> PeekPoisonAsync(string queue, StorageClients storage, CancellationToken cancellationToken)
    {
        var poison = await storage.QueueAsync(QueueNames.Poison(queue));
        var messages = (await poison.PeekMessagesAsync(32, cancellationToken)).Value;
        return Results.Ok(messages.Select(m => PoisonMessage.TryParse(m.Body) is { } p
            ? (object)new { p.Queue, p.Function, p.Error, p.DequeueCount, p.FailedAt, bodyBytes = p.Body.Length }
            : new { raw = true, bodyBytes = m.Body.ToMemory().Length }));
    }

    /// <summary>Moves up to <paramref name="count"/> poison messages back onto their queue, e.g. after a fix is deployed.</summary>
    private static async Task<IResult> ReplayPoisonAsync(string queue, int? count, StorageClients storage, CancellationToken cancellationToken)
    {
        var poison = await storage.QueueAsync(QueueNames.Poison(queue));
        var target = await storage.QueueAsync(queue);
        var remaining = Math.Clamp(count ?? 32, 1, 1000);
        var moved = 0;
        while (remaining > 0)
        {
            var batch = (await poison.ReceiveMessagesAsync(Math.Min(32, remaining), TimeSpan.FromMinutes(1), cancellationToken)).Value;
            if (batch.Length == 0) break;
            foreach (var message in batch)
            {
                var body = PoisonMessage.TryParse(message.Body)?.Body is { } original ? BinaryData.FromString(original) : message.Body;
                await target.SendMessageAsync(body, cancellationToken: cancellationToken);
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
                moved++;
            }

            remaining -= batch.Length;
        }

        return Results.Ok(new { moved });
    }

    private static object Summary(TableEntity row) => new
    {
        key = row.RowKey,
        deliveryId = row.GetString("DeliveryId"),
        platform = row.GetString("Platform"),
        topic = row.GetString("Topic"),
        receivedAt = row.GetDateTimeOffset("ReceivedAt"),
        status = row.GetString("Status"),
        reason = row.GetString("Reason"),
        eventCount = row.GetInt32("EventCount"),
    };
}
