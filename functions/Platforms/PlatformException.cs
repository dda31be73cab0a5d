using System.Net;

namespace Automation.Platforms;

/// <summary>A platform API call that failed. Transient failures are worth retrying later; permanent ones are recorded and skipped.</summary>
public sealed class PlatformException(string message, HttpStatusCode? statusCode, string? errorCode, bool isTransient, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>WooCommerce's error <c>code</c> (e.g. <c>woocommerce_rest_coupon_code_already_exists</c>) or Shopify's GraphQL error code.</summary>
    public string? ErrorCode { get; } = errorCode;

    public bool IsTransient { get; } = isTransient;

    /// <summary>
    /// A write (GraphQL mutation, REST POST/PUT/DELETE) whose answer was lost — a timeout, a broken connection, a 5xx:
    /// the platform may or may not have carried it out. It was not sent again; whoever made it looks at the platform
    /// before acting again (<see cref="PlatformWrite"/>).
    /// </summary>
    public bool OutcomeUnknown { get; init; }
}
