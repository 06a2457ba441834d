using System.Net;
using Microsoft.DotNet.Interactive.Formatting;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Imaging;
using ParameterSaliency.Runtime;
using static TorchSharp.torch;

namespace ParameterSaliency.Notebooks;

/// <summary>
/// The notebooks' entry point: <c>Workbook.Start()</c> in the first cell loads libtorch, registers
/// the formatters that make the library's result types render themselves (<see cref="Formatters"/>: image grids as
/// PNG, reports as HTML tables, each with a one-line text/plain form) and shows what the session runs on.
/// </summary>
public static class Workbook
{
    /// <summary>The workbook's default setting: the committed Fashion-MNIST test split and the ResNet trained on it, with its cached μ, σ.</summary>
    public static WorkbookSetting Default => new(Data.WorkbookPaths.DefaultModel, "fashion-mnist:test", arch: null, normalization: null, resize: null, crop: null,
        Data.WorkbookPaths.DefaultStatistics, isDefault: true);

    /// <summary>
    /// The default data with the default model's companion trained under the paper's schedule (multi-step, last epochs at 1e-3,
    /// recorded as its <c>final_lr</c>), with its committed μ, σ: Tables 1 and 2 under the paper's own conditions (notebook 05).
    /// </summary>
    public static WorkbookSetting MultiStep => new(Data.WorkbookPaths.MultiStepModel, "fashion-mnist:test", arch: null, normalization: null, resize: null, crop: null,
        Data.WorkbookPaths.MultiStepStatistics, isDefault: false);

    /// <summary>
    /// The default data with the second embedded model, the small Vision Transformer (<c>saliency train --arch vit-tiny</c>),
    /// and its committed μ, σ of neuron-wise and head-wise profiles (notebook 08).
    /// </summary>
    public static WorkbookSetting Vit => new(Data.WorkbookPaths.VitModel, "fashion-mnist:test", arch: null, normalization: null, resize: null, crop: null,
        Data.WorkbookPaths.VitNeuronStatistics, isDefault: false, new Dictionary<Saliency.Aggregation, string>
        {
            [Saliency.Aggregation.NeuronWise] = Data.WorkbookPaths.VitNeuronStatistics,
            [Saliency.Aggregation.HeadWise] = Data.WorkbookPaths.VitHeadStatistics,
        });

    /// <summary>
    /// Your own setting: a weights file (our safetensors, or a PyTorch checkpoint with <paramref name="arch"/>), a data set
    /// (<c>cifar10:test</c>, <c>folder:PATH</c>, …), the input normalisation when the file does not record it (a preset
    /// name: imagenet, cifar10, fashion-mnist), torchvision's resize and centre crop for image folders, and optionally
    /// where μ and σ are cached (default: <c>artifacts/cache/</c>). <paramref name="normalization"/> gives a mean and std
    /// per channel instead of a preset.
    /// </summary>
    /// <param name="model">Path of the weights file: our safetensors or a PyTorch checkpoint.</param>
    /// <param name="dataset">Data set name, e.g. <c>fashion-mnist:test</c>, <c>cifar10:test</c> or <c>folder:PATH</c>.</param>
    /// <param name="arch">Architecture of a checkpoint that does not record it (e.g. <c>resnet18</c>); null: the one the file records.</param>
    /// <param name="normalize">Preset name of the input normalisation (imagenet, cifar10, fashion-mnist) when the file does not record it; not with <paramref name="normalization"/>.</param>
    /// <param name="resize">Pixels the shorter side of folder images is resized to (torchvision's resize); null: none.</param>
    /// <param name="crop">Side in pixels of the square centre crop of folder images after any resize; null: none.</param>
    /// <param name="statistics">Path of the μ, σ cache; null: a file in <c>artifacts/cache/</c>.</param>
    /// <param name="normalization">Mean and std per channel in place of a preset; not with <paramref name="normalize"/>.</param>
    public static WorkbookSetting From(string model, string dataset, string? arch = null, string? normalize = null, int? resize = null, int? crop = null,
        string? statistics = null, Data.Normalization? normalization = null)
    {
        if (normalize is not null && normalization is not null) throw new ArgumentException("Give normalize (a preset name) or normalization (mean and std), not both.");
        return new(model, dataset, arch, normalization ?? (normalize is null ? null : Data.Normalization.Preset(normalize)), resize, crop, statistics, isDefault: false);
    }

    /// <summary>Loads libtorch, registers the formatters of <see cref="Formatters.Types"/>, returns the session's environment (which renders as a small table).</summary>
    public static WorkbookEnvironment Start()
    {
        NativeTorch.EnsureLoaded();
        Notices.Writer = Console.Error; // recomputed caches, waits, fallbacks: shown under the cell
        CpuKernels.Announce(Console.Error); // a kernel probe this process ran, or kernels found wrong
        Data.WorkbookPaths.RegisterData();
        Formatters.Register();
        ChartOutput.WriteLocalPlotly(Directory.GetCurrentDirectory()); // for front-ends that draw charts from text/html (the classic Notebook)
        // The kernel loads each #r'd assembly into a load context of its own and binds a dependency on its first use.
        // Loading a PyTorch checkpoint brings TorchSharp.PyBridge, and with it a second TorchSharp; an assembly whose first
        // use of TorchSharp came after that bound to the second copy (MissingMethodException: Tensor of one copy is not
        // Tensor of the other). Using TorchSharp from the pictures' assembly now binds it to the first.
        using (var probe = zeros(1, 1, 1)) ImageTile.FromUnitTensor(probe, "");
        return new WorkbookEnvironment(
            typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "?",
            NativeTorch.DefaultDevice.type.ToString(),
            get_num_threads(),
            Data.WorkbookPaths.RootIfFound);
    }
}

/// <summary>What a notebook session runs on; <paramref name="Root"/> is the workbook checkout, null outside one.</summary>
/// <param name="TorchSharpVersion">Version of the loaded TorchSharp assembly ("?" when unknown).</param>
/// <param name="Device">libtorch's default device type (e.g. cpu, cuda).</param>
/// <param name="Threads">libtorch's thread count.</param>
/// <param name="Root">Root folder of the workbook checkout; null outside one.</param>
public sealed record WorkbookEnvironment(string TorchSharpVersion, string Device, int Threads, string? Root)
{
    internal string ToHtml() =>
        "<table><tr><th>TorchSharp</th><th>device</th><th>threads</th><th>workbook</th></tr>" +
        $"<tr><td>{TorchSharpVersion}</td><td>{Device}</td><td>{Threads}</td><td>{(Root is null ? "(no checkout: packages)" : WebUtility.HtmlEncode(Path.GetFileName(Root.TrimEnd('/'))))}</td></tr></table>";
}
