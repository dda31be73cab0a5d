using Microsoft.Extensions.Options;

namespace Automation.PublicEndpoints;

public static class PublicEndpointsRegistration
{
    public static IServiceCollection AddPublicEndpoints(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PublicEndpointsOptions>().Bind(configuration.GetSection(PublicEndpointsOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PublicEndpointsOptions>, Validator>();
        services.AddSingleton<ClientAddress>();
        services.AddSingleton<PublicLimiter>();
        return services;
    }

    private sealed class Validator : IValidateOptions<PublicEndpointsOptions>
    {
        public ValidateOptionsResult Validate(string? name, PublicEndpointsOptions options) =>
            options.Validate().ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
