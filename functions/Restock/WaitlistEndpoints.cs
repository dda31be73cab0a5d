using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Automation.Inventory;
using Automation.PublicEndpoints;
using Automation.Runtime;
using Automation.Storage;
using Microsoft.Extensions.Options;
using Automation.Stores;
using Microsoft.Azure.Functions.Worker;

namespace Automation.Restock;

/// <summary>The signup a storefront form posts.</summary>
public sealed record WaitlistSignup(string? Email, long? VariantId, string? Sku, bool? Consent, string? ConsentText, string? FirstName);

/// <summary>
/// Public waitlist endpoints: signup (validated, rate-limited per client, per email and per product across every
/// instance, idempotent per email and variant, consent recorded), the size of a SKU's list (one read while the list is
/// unchanged), and unsubscribe (a confirmation page, and RFC 8058 one-click POST).
/// </summary>
public sealed partial class WaitlistEndpoints(
    StoreRegistry stores,
    Waitlist waitlist,
    InventoryView view,
    PublicLimiter limiter,
    ClientAddress clients,
    IOptions<PublicEndpointsOptions> publicOptions,
    StoreSettings<RestockOptions> settings,
    ILogger<WaitlistEndpoints> logger)
{
    public const string DefaultConsentText = "Email me once when this product is back in stock.";
    private const string Route = "stores/{storeId}/waitlist";

    [Function("JoinWaitlist")]
    public async Task<IResult> Signup([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route)] HttpRequest request, string storeId)
    {
        var http = request.HttpContext;
        var cancellationToken = http.RequestAborted;
        if (stores.Find(storeId) is null) return Problem(404, $"There is no store '{storeId}'.");
        if (await request.ReadJsonOrNullAsync<WaitlistSignup>() is not { } signup)
        {
            return Problem(400, "The body must be JSON like {\"email\": \"you@example.com\", \"sku\": \"ABC-1\", \"consent\": true}.");
        }

        var errors = Validate(signup);
        if (errors.Count > 0) return Results.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(v => v)), statusCode: 400);
        var options = settings.For(storeId);
        var email = signup.Email!.Trim();

        // Counted once the body is valid: a malformed flood costs no storage. The product as it was named (sku or id).
        var product = signup.VariantId is { } given ? "id:" + given.ToString(CultureInfo.InvariantCulture) : "sku:" + signup.Sku!.Trim().ToUpperInvariant();
        var admission = await limiter.AcquireAsync(storeId,
        [
            new Limit("signup-client", clients.CounterKeyOf(http), options.SignupsPerIpPerHour),
            new Limit("signup-email", Waitlist.EmailHash(email), options.SignupsPerEmailPerHour),
            new Limit("signup-variant", StorageKeys.Hash(product), options.SignupsPerVariantPerHour),
        ], cancellationToken);
        if (!admission.Allowed) return TooMany(http, admission, "Too many signups; please try again later.");

        var variant = signup.VariantId is { } id ? await view.GetAsync(storeId, id, cancellationToken) : await view.FindBySkuAsync(storeId, signup.Sku!, cancellationToken);
        if (variant is null) return Problem(400, signup.VariantId is not null ? $"Unknown product variant {signup.VariantId}." : $"Unknown SKU '{signup.Sku}'.");

        var result = await waitlist.SubscribeAsync(storeId, variant.VariantId, email, signup.FirstName?.Trim(), signup.ConsentText ?? DefaultConsentText, "waitlist-form", cancellationToken);
        logger.LogInformation("Waitlist signup for store {StoreId} variant {VariantId}: {Result}", storeId, variant.VariantId, result);
        return result == SignupResult.Added
            ? Results.Json(new { status = "subscribed", variantId = variant.VariantId, sku = variant.Sku }, statusCode: 201)
            : Results.Ok(new { status = "already-subscribed", variantId = variant.VariantId, sku = variant.Sku });
    }

    internal static Dictionary<string, string[]> Validate(WaitlistSignup? signup)
    {
        var errors = new Dictionary<string, string[]>();
        if (signup is null) return new() { ["body"] = ["A JSON body is required."] };
        var email = signup.Email?.Trim();
        if (string.IsNullOrEmpty(email)) errors["email"] = ["Email is required."];
        else if (email.Length > 254 || !EmailPattern().IsMatch(email) || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
            errors["email"] = [$"'{email}' is not a valid email address."];
        if (signup.VariantId is null && string.IsNullOrWhiteSpace(signup.Sku)) errors["sku"] = ["Give the product's sku or variantId."];
        else if (signup.VariantId is <= 0) errors["variantId"] = ["variantId must be a positive number."];
        else if (signup.Sku is { Length: > 100 }) errors["sku"] = ["sku is too long (100 characters at most)."];
        if (signup.Consent != true) errors["consent"] = ["Consent is required: set \"consent\": true once the shopper agreed to be emailed."];
        if (signup.FirstName is { Length: > 100 }) errors["firstName"] = ["firstName is too long (100 characters at most)."];
        if (signup.ConsentText is { Length: > 500 }) errors["consentText"] = ["consentText is too long (500 characters at most)."];
        return errors;
    }

    [Function("GetWaitlistSize")]
    public async Task<IResult> Size([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/{sku}")] HttpRequest request, string storeId, string sku)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        if (stores.Find(storeId) is null) return Problem(404, $"There is no store '{storeId}'.");
        if (sku.Length > 100) return Problem(404, "Unknown SKU.");
        var admission = await limiter.AcquireAsync(storeId, [new Limit("read-client", clients.CounterKeyOf(request.HttpContext), publicOptions.Value.ReadsPerClientPerHour)], cancellationToken);
        if (!admission.Allowed) return TooMany(request.HttpContext, admission, "Too many requests; please try again later.");
        var variant = await view.FindBySkuAsync(storeId, sku, cancellationToken);
        if (variant is null) return Problem(404, $"Unknown SKU '{sku}'.");
        var waiting = await waitlist.SizeAsync(storeId, variant.VariantId, settings.For(storeId).SizeRecountInterval, cancellationToken);
        return Results.Ok(new { sku, variantId = variant.VariantId, waiting });
    }

    [Function("ShowWaitlistUnsubscribe")]
    public async Task<IResult> UnsubscribePage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/unsubscribe")] HttpRequest request, string storeId)
    {
        if (UnsubscribeQuery(request) is not var (v, s, t)) return Results.Content("<p>This unsubscribe link is not complete.</p>", "text/html", statusCode: 400);
        var cancellationToken = request.HttpContext.RequestAborted;
        if (stores.Find(storeId) is null) return Results.Content("<p>You are not on this waitlist (any more).</p>", "text/html", statusCode: 200);
        // Link scanners open GET links: the page only asks, the POST unsubscribes.
        var entry = await waitlist.FindAsync(storeId, v, s, cancellationToken);
        if (entry is null || !TokenMatches(entry, t)) return Results.Content("<p>You are not on this waitlist (any more).</p>", "text/html", statusCode: 200);
        var action = $"?v={v.ToString(CultureInfo.InvariantCulture)}&s={Uri.EscapeDataString(s)}&t={Uri.EscapeDataString(t)}";
        return Results.Content($"""<form method="post" action="{WebUtility.HtmlEncode(action)}"><p>Stop waiting for this product?</p><button type="submit">Unsubscribe</button></form>""", "text/html");
    }

    [Function("LeaveWaitlist")]
    public async Task<IResult> Unsubscribe([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Route + "/unsubscribe")] HttpRequest request, string storeId)
    {
        if (UnsubscribeQuery(request) is not var (v, s, t)) return Results.Content("<p>This unsubscribe link is not complete.</p>", "text/html", statusCode: 400);
        var cancellationToken = request.HttpContext.RequestAborted;
        var entry = stores.Find(storeId) is null ? null : await waitlist.FindAsync(storeId, v, s, cancellationToken);
        if (entry is not null && TokenMatches(entry, t)) await waitlist.RemoveAsync(entry, "Unsubscribed", cancellationToken);
        // Same answer either way: the link does not reveal whether someone is subscribed.
        return Results.Content("<p>You will not get an email about this product.</p>", "text/html");
    }

    /// <summary>The link's query: variant <c>v</c>, subscription <c>s</c>, token <c>t</c>.</summary>
    private static (long V, string S, string T)? UnsubscribeQuery(HttpRequest request) =>
        long.TryParse(request.Query["v"].FirstOrDefault(), CultureInfo.InvariantCulture, out var v)
        && request.Query["s"].FirstOrDefault() is { Length: > 0 } s && request.Query["t"].FirstOrDefault() is { Length: > 0 } t
            ? (v, s, t) : null;

    public static string UnsubscribeUrl(string baseUrl, WaitlistEntry entry) =>
        $"{baseUrl.TrimEnd('/')}/api/stores/{Uri.EscapeDataString(entry.StoreId)}/waitlist/unsubscribe?v={entry.VariantId.ToString(CultureInfo.InvariantCulture)}&s={Uri.EscapeDataString(entry.RowKey)}&t={entry.Token}";

    private static bool TokenMatches(WaitlistEntry entry, string token) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(entry.Token), System.Text.Encoding.UTF8.GetBytes(token ?? ""));

    private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);

    private static IResult TooMany(HttpContext http, Admission admission, string detail)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(admission.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Problem(429, detail);
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
