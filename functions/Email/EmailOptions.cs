using System.ComponentModel.DataAnnotations;

namespace Automation.Email;

/// <summary>SMTP settings: <c>Email:*</c> for the deployment, overridable per store under <c>Stores:{id}:Email:*</c>.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    [Required] public string SmtpHost { get; set; } = "127.0.0.1";
    [Range(1, 65535)] public int SmtpPort { get; set; } = 1025;

    /// <summary>None, StartTls, SslOnConnect or Auto.</summary>
    public string Security { get; set; } = "Auto";
    public string? UserName { get; set; }
    public string? Password { get; set; }
    [Required, EmailAddress] public string FromAddress { get; set; } = "store@example.com";
    public string FromName { get; set; } = "Our store";
}
