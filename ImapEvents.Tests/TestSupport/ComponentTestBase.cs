using Microsoft.AspNetCore.Components.Web;
using Bunit;
using Microsoft.AspNetCore.Components;

using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace ImapEvents.Tests.TestSupport;

/// <summary>
/// A bUnit context with MudBlazor's services. MudBlazor registers services that are only
/// IAsyncDisposable, so the context is disposed asynchronously here rather than inherited.
/// </summary>
public abstract class ComponentTestBase : IAsyncLifetime
{
    protected ComponentTestBase()
    {
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices(options =>
        {
            options.SnackbarConfiguration.ShowTransitionDuration = 0;
            options.SnackbarConfiguration.HideTransitionDuration = 0;
            options.PopoverOptions.CheckForPopoverProvider = false;
        });
        // Times in the server's zone, as a circuit whose browser has not named its own.
        Context.Services.AddScoped<ImapEvents.Web.Shared.ViewerTime>();
    }

    protected BunitContext Context { get; } = new();

    /// <summary>Renders as on a live circuit (interactive Server), after the test has added its services.</summary>
    protected IRenderedComponent<TComponent> Render<TComponent>(Action<ComponentParameterCollectionBuilder<TComponent>>? parameters = null)
        where TComponent : IComponent
    {
        Context.Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        return Context.Render(parameters);
    }

    /// <summary>
    /// Retries an assertion until it holds or the deadline passes. Needed for MudBlazor dialogs:
    /// their content renders through the dialog provider, which bUnit's WaitForAssertion does not watch.
    /// </summary>
    protected static async Task EventuallyAsync(Action assertion, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Xunit.Sdk.XunitException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Where menus and selects opened in a dialog render their items (set by <see cref="OpenDialogAsync"/>).</summary>
    protected IRenderedComponent<MudPopoverProvider> Popovers { get; private set; } = default!;

    /// <summary>Opens a MudBlazor dialog the way a page does, through the dialog service.</summary>
    protected async Task<IRenderedComponent<TDialog>> OpenDialogAsync<TDialog>(string title, DialogParameters<TDialog>? parameters = null)
        where TDialog : IComponent
    {
        var provider = Render<MudDialogProvider>();
        Popovers = Context.Render<MudPopoverProvider>();
        var dialogs = Context.Services.GetRequiredService<IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<TDialog>(title, parameters ?? []));
        await EventuallyAsync(() => Assert.True(provider.HasComponent<TDialog>()));
        var dialog = provider.FindComponent<TDialog>();
        await EventuallyAsync(() => Assert.NotEmpty(dialog.FindAll("label")));
        return dialog;
    }

    /// <summary>
    /// Clicks the button with this text. Finding and clicking happen on the renderer's dispatcher, so a
    /// render in between (an async load finishing) cannot leave the click on a stale element.
    /// </summary>
    protected static Task ClickButtonAsync<TComponent>(IRenderedComponent<TComponent> component, string text)
        where TComponent : IComponent =>
        component.InvokeAsync(() => component.FindAll("button").Single(b => b.TextContent.Trim() == text).ClickAsync(new MouseEventArgs()));

    /// <summary>Changes the field with this label (its change event), on the renderer's dispatcher like <see cref="ClickButtonAsync"/>.</summary>
    protected static Task ChangeFieldAsync<TComponent>(IRenderedComponent<TComponent> component, string label, object? value)
        where TComponent : IComponent =>
        component.InvokeAsync(() => Input(component, label).ChangeAsync(new ChangeEventArgs { Value = value }));

    /// <summary>Types into the field with this label (its input event), for fields that update as you type.</summary>
    protected static Task TypeIntoFieldAsync<TComponent>(IRenderedComponent<TComponent> component, string label, object? value)
        where TComponent : IComponent =>
        component.InvokeAsync(() => Input(component, label).InputAsync(new ChangeEventArgs { Value = value }));

    /// <summary>The input a visible label belongs to (through its "for" attribute), as a screen reader finds it.</summary>
    protected static AngleSharp.Dom.IElement Input<TComponent>(IRenderedComponent<TComponent> component, string label)
        where TComponent : IComponent
    {
        var labelElement = component.FindAll("label").FirstOrDefault(l => l.TextContent.Trim().TrimEnd('*') == label)
            ?? throw new InvalidOperationException($"No field labelled '{label}'. Labels: {string.Join(", ", component.FindAll("label").Select(l => l.TextContent.Trim()))}");
        // A label names its input either with "for" or by wrapping it (MudBlazor's checkboxes).
        if (labelElement.GetAttribute("for") is { } id)
        {
            return component.Find($"#{id}");
        }

        return labelElement.QuerySelector("input") ?? throw new InvalidOperationException($"The label '{label}' is not tied to an input");
    }

    /// <summary>The validation message MudBlazor shows under the input with this label, or null.</summary>
    protected static string? ErrorNextTo<TComponent>(IRenderedComponent<TComponent> component, string label)
        where TComponent : IComponent
    {
        var input = Input(component, label);
        var control = input.Closest(".mud-input-control") ?? throw new InvalidOperationException($"'{label}' is not inside a MudBlazor input");
        return control.QuerySelector(".mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } text ? text : null;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
