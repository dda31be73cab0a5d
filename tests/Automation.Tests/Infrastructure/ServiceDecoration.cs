namespace Automation.Tests.Infrastructure;

public static class ServiceDecoration
{
    /// <summary>Wraps the app's registration of <typeparamref name="TService"/> (e.g. to stand in for a crash in the middle of an effect).</summary>
    public static IServiceCollection Decorate<TService>(this IServiceCollection services, Func<TService, TService> decorate) where TService : class
    {
        var registered = services.Last(d => d.ServiceType == typeof(TService));
        services.Remove(registered);
        services.Add(new ServiceDescriptor(typeof(TService), sp =>
        {
            var inner = registered.ImplementationInstance as TService
                ?? (registered.ImplementationFactory is { } factory ? (TService)factory(sp) : (TService)ActivatorUtilities.CreateInstance(sp, registered.ImplementationType!));
            return decorate(inner);
        }, registered.Lifetime));
        return services;
    }
}
