using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Automation.Runtime;

/// <summary>Marker for the start-up check that no setting still holds a placeholder from <c>local.settings.sample.json</c>.</summary>
public sealed class PlaceholderSettings;

/// <summary>
/// A copied sample (<c>"Admin__ApiKey": "&lt;a long random string …&gt;"</c>) must not start the app: an admin key, a
/// webhook secret or a token that anyone can read in the repository opens the app to anyone. Every value that is still
/// an angle-bracketed placeholder stops the start, each named.
/// </summary>
internal sealed partial class ValidatePlaceholderSettings(IConfiguration configuration) : IValidateOptions<PlaceholderSettings>
{
    public ValidateOptionsResult Validate(string? name, PlaceholderSettings options)
    {
        var errors = configuration.AsEnumerable()
            .Where(kv => kv.Value is { } value && Placeholder().IsMatch(value))
            .Select(kv => $"{kv.Key} still holds the sample's placeholder {kv.Value}: set a real value (see local.settings.sample.json and the README).")
            .Order(StringComparer.Ordinal)
            .ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex(@"^\s*<[^<>]+>\s*$")]
    private static partial Regex Placeholder();
}
