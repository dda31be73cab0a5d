using System.Net;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Automation.AbandonedCart;

/// <summary>The recovery emails' unsubscribe link, and the store's recovery figures for operators.</summary>
public sealed class RecoveryEndpoints(UnsubscribeTokens tokens, StoreRegistry stores, CheckoutRecovery recovery, RecoveryStats stats)
{
    private const string NotValid = "<p>This unsubscribe link is not valid.</p>";

    /// <summary>
    /// The link in every recovery email (GET): a page that asks, and changes nothing. Mail scanners and link previews
    /// open GET links by themselves; only the page's button (or the mail client's one-click POST) unsubscribes.
    /// </summary>
    [Function("ShowUnsubscribe")]
    public IResult UnsubscribePage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "unsubscribe")] HttpRequest request)
    {
        var token = request.Query["token"].FirstOrDefault();
        if (Subject(token) is null) return Page(request, NotValid, StatusCodes.Status400BadRequest);
        // The form posts back to this very URL (the token stays in the query string, which no request log keeps).
        var action = WebUtility.HtmlEncode("?token=" + Uri.EscapeDataString(token!));
        return Page(request, $"""
            <form method="post" action="{action}">
            <p>Stop cart reminders from this store?</p>
            <input type="hidden" name="List-Unsubscribe" value="One-Click">
            <button type="submit">Unsubscribe</button>
            </form>
            """, StatusCodes.Status200OK);
    }

    /// <summary>Unsubscribes: the page's button, and RFC 8058 one-click (<c>List-Unsubscribe-Post: List-Unsubscribe=One-Click</c>).</summary>
    [Function("Unsubscribe")]
    public async Task<IResult> Unsubscribe([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "unsubscribe")] HttpRequest request, [DurableClient] DurableTaskClient client)
    {
        if (Subject(request.Query["token"].FirstOrDefault()) is not { } subject) return Page(request, NotValid, StatusCodes.Status400BadRequest);
        await recovery.UnsubscribeAsync(client, subject.StoreId, subject.CustomerKey, request.HttpContext.RequestAborted);
        return Page(request, "<p>You are unsubscribed: we will not send you cart reminders again.</p>", StatusCodes.Status200OK);
    }

    [Function("GetRecoveryStats")]
    public async Task<IResult> Stats([HttpTrigger(AuthorizationLevel.Function, "get", Route = "stores/{storeId}/stats")] HttpRequest request, string storeId,
        [DurableClient] DurableTaskClient client) =>
        stores.Find(storeId) is null ? Results.NotFound() : Results.Ok(await stats.ComputeAsync(client, storeId, request.HttpContext.RequestAborted));

    private (string StoreId, string CustomerKey)? Subject(string? token) =>
        tokens.Verify(token) is { } subject && stores.Find(subject.StoreId) is not null ? subject : null;

    /// <summary>A small page that is never cached and never sends its URL (with the token) on as a Referer.</summary>
    private static IResult Page(HttpRequest request, string body, int status)
    {
        var headers = request.HttpContext.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Robots-Tag"] = "noindex";
        return Results.Content($"<!doctype html><meta charset=\"utf-8\"><title>Unsubscribe</title>{body}", "text/html; charset=utf-8", statusCode: status);
    }
}
