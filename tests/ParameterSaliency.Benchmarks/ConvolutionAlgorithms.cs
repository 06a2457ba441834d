using System.Diagnostics;
using System.Globalization;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>
/// Which convolution algorithms the training step runs, ours (libtorch 2.10 through TorchSharp) against Debian's PyTorch
/// 1.13, on the same weights and images, under no cap and under AVX2: every oneDNN primitive the step executes is logged
/// (<c>ONEDNN_VERBOSE=1</c>, <c>DNNL_VERBOSE=1</c> for PyTorch's oneDNN 2.6) and its time summed by kind and implementation.
/// A convolution oneDNN does not log ran elsewhere (NNPACK or libtorch's own im2col fallback), so the table also counts
/// oneDNN's forward convolutions against the model's. The training step is the ceiling every engine works under.
/// </summary>
internal static class ConvolutionAlgorithms
{
    /// <summary>Timed training steps after one warm-up step; the log covers all of them, so its times are divided by Steps + 1.</summary>
    public const int Steps = 4;

    public const string Header =
        "| model | images per step | framework | oneDNN cap | ms per step | forward convolutions on oneDNN / in the model | oneDNN convolutions, ms per step (implementations) | oneDNN reorders, ms | outside oneDNN, ms |\n" +
        "|---|---|---|---|---|---|---|---|---|";

    /// <summary>Child: <see cref="Steps"/> + 1 training steps of <paramref name="modelName"/> ("default" or "resnet50"); prints the median step in ms last.</summary>
    public static int Child(string modelName)
    {
        var (model, images, labels) = Load(modelName);
        var parameters = model.parameters().ToArray();
        var milliseconds = new List<double>();
        for (int step = 0; step <= Steps; step++)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            var loss = nn.functional.cross_entropy(model.call(images), labels);
            autograd.grad([loss], parameters);
            if (step > 0) milliseconds.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.Out.Flush();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step-ms {milliseconds.Order().ElementAt(milliseconds.Count / 2):R}"));
        return 0;
    }

    /// <summary>The default model on 32 test images, or ResNet-50 (random weights, seed 0) on 8 random 3x224x224 images.</summary>
    static (nn.Module<Tensor, Tensor> Model, Tensor Images, Tensor Labels) Load(string modelName)
    {
        nn.Module<Tensor, Tensor> model;
        Tensor images, labels;
        if (modelName == "default")
        {
            var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
            using var test = FashionMnist.Load(DataSplit.Test);
            (model, images, labels) = (saved.Model, test.Images.narrow(0, 0, 32).clone(), test.Labels.narrow(0, 0, 32).to(ScalarType.Int64));
        }
        else
            (model, images, labels) = GlobalRandom.Seeded(0, () => ((nn.Module<Tensor, Tensor>)new ResNet(ResNetConfig.TorchVisionResNet50()), randn(8, 3, 224, 224), randint(0, 1000, [8], dtype: ScalarType.Int64)));
        model.eval();
        return (model, images, labels);
    }

    /// <summary>The table: both models, both frameworks, no cap and AVX2.</summary>
    public static string Table(string folder)
    {
        var table = new StringBuilder(Header + "\n");
        foreach (var (modelName, arch) in new[] { ("default", "cifar-resnet18-w16"), ("resnet50", "resnet50") })
        {
            var (model, images, labels) = Load(modelName);
            int convolutions = model.modules().OfType<Conv2d>().Count();
            foreach (string isa in new[] { "ALL", "AVX2" })
            {
                var environment = new Dictionary<string, string> { ["ONEDNN_VERBOSE"] = "1", ["DNNL_VERBOSE"] = "1", ["ONEDNN_MAX_CPU_ISA"] = isa, ["DNNL_MAX_CPU_ISA"] = isa };
                var ours = IsaRow.Run(["--train-step-verbose", modelName], environment).Split('\n');
                double oursStep = double.Parse(ours.Last(line => line.StartsWith("step-ms ")).Split(' ')[1], CultureInfo.InvariantCulture);
                table.AppendLine(Row(modelName, images.shape[0], "ours (libtorch 2.10)", isa, oursStep, convolutions, ours));
                var transcript = new List<string>();
                var pytorch = PyTorchRates.Measure(folder, modelName, arch, model, images, labels, "train", Steps, out string? reason, environment, transcript);
                table.AppendLine(pytorch is null ? $"| {modelName} | {images.shape[0]} | PyTorch | {isa} | {reason} | | | | |"
                    : Row(modelName, images.shape[0], $"PyTorch {pytorch.Version}", isa, images.shape[0] * 1000 / pytorch.Train, convolutions, transcript));
                Console.Error.WriteLine(table.ToString().TrimEnd().Split('\n')[^1]);
            }
            model.Dispose();
        }
        return table.ToString();
    }

    /// <summary>One row from a log: oneDNN's executions summed per step by kind (convolution direction and implementation, reorders).</summary>
    static string Row(string modelName, long images, string framework, string isa, double stepMilliseconds, int convolutions, IEnumerable<string> log)
    {
        var byKind = new Dictionary<string, double>();
        int forwardConvolutions = 0;
        string? onednnVersion = null;
        foreach (string line in log)
        {
            if (!line.StartsWith("onednn_verbose") && !line.StartsWith("dnnl_verbose")) continue;
            string[] fields = line.Trim().Split(',');
            onednnVersion ??= fields.FirstOrDefault(field => field.StartsWith("oneDNN v"))?.Split(' ')[1];
            int exec = Array.IndexOf(fields, "exec");
            if (exec < 0 || exec + 4 >= fields.Length || fields[exec + 1] != "cpu") continue; // creation and information lines
            string kind = fields[exec + 2], implementation = fields[exec + 3], direction = fields[exec + 4];
            if (!double.TryParse(fields[^1], CultureInfo.InvariantCulture, out double milliseconds)) continue;
            string key = kind == "convolution" ? $"{direction.Replace("forward_training", "forward").Replace("backward_", "backward ")} {implementation}" : kind;
            byKind[key] = byKind.GetValueOrDefault(key) + milliseconds / (Steps + 1);
            if (kind == "convolution" && direction.StartsWith("forward")) forwardConvolutions++;
        }
        double convolutionTime = byKind.Where(p => p.Key.StartsWith("forward") || p.Key.StartsWith("backward")).Sum(p => p.Value);
        double reorders = byKind.GetValueOrDefault("reorder"), all = byKind.Values.Sum();
        string implementations = string.Join("; ", byKind.Where(p => p.Key.StartsWith("forward") || p.Key.StartsWith("backward")).OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:F1}"));
        return $"| {modelName} | {images} | {framework}{(onednnVersion is null ? "" : $", oneDNN {onednnVersion}")} | {isa} | {stepMilliseconds:F1} | {forwardConvolutions / (double)(Steps + 1):F0} / {convolutions} | " +
               $"{convolutionTime:F1} ({implementations}) | {reorders:F1} | {stepMilliseconds - all:F1} |";
    }
}
