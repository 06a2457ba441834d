#:package ParameterSaliency.Notebooks@0.11.0
// A .NET 10 file-based app in any folder, using the packed packages (the docs' article on packages):
//   dotnet run profile-app.cs -- [output prefix]
// Profiles four images through a seeded CIFAR-style ResNet-18 and writes a Plotly chart of s(x, y) per filter.
using ParameterSaliency.Models;
using ParameterSaliency.Notebooks;
using ParameterSaliency.Saliency;
using Plotly.NET;
using static TorchSharp.torch;

string prefix = args.Length > 0 ? args[0] : "profile";
manual_seed(7);
var model = Architectures.Named("resnet18-cifar").Build(10, 3);
model.eval();
using var images = randn(4, 3, 32, 32);
using var labels = tensor(new long[] { 0, 1, 2, 3 });
var profiler = new SaliencyProfiler(model);
using var profiles = profiler.Profile(images, labels);

var rows = Enumerable.Range(0, profiles.Count).ToDictionary(i => $"image {i}", profiles.Row);
GenericChart chart = SaliencyCharts.Profiles(profiler.Layout, rows, "Filter-wise saliency s(x, y) of four random images");
File.WriteAllText(prefix + ".html", GenericChart.toEmbeddedHTML(chart));
File.WriteAllLines(prefix + ".txt", profiles.Row(0).Select(value => value.ToString("R")));
Console.WriteLine($"{profiles.Count} profiles of {profiler.Layout.Length} filters, engine {profiler.Engine}; chart: {prefix}.html");
