using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Automation.Tests.Infrastructure;

/// <summary>
/// Secrets for tests: random for each test run, so no secret the app accepts is ever a value written in the
/// repository, and long enough for the app's rules (<c>Runtime/SecretRules</c>).
/// </summary>
public static class TestSecrets
{
    private static readonly ConcurrentDictionary<string, string> Named = new(StringComparer.Ordinal);

    /// <summary>The same random secret for <paramref name="name"/> throughout the run.</summary>
    public static string For(string name) => Named.GetOrAdd(name, _ => New());

    /// <summary>A new random secret: 48 hex characters (192 bits).</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
