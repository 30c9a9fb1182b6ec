//! Directed acyclic graphs of named nodes, on petgraph: an order where each
//! node comes after the nodes it needs, the waves that can run in parallel,
//! and cycles named by their members. The catalog's dependencies and the
//! phase deploy use it; workflows will. Pure.

use petgraph::graphmap::DiGraphMap;

/// A cycle, by its members (sorted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cycle among {}", .members.join(", "))]
pub struct Cycle {
    pub members: Vec<String>,
}

/// Nodes and the edges `before → after` between them.
#[derive(Debug, Clone, Default)]
pub struct Dag<'a> {
    graph: DiGraphMap<&'a str, ()>,
}

impl<'a> Dag<'a> {
    /// The graph of `nodes` where each edge `(before, after)` says `after`
    /// needs `before`. An edge that names a node outside `nodes` is left
    /// out: what it needs is there already (e.g. an agent of an earlier
    /// phase, running).
    pub fn new(
        nodes: impl IntoIterator<Item = &'a str>,
        edges: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Dag<'a> {
        let mut graph = DiGraphMap::new();
        for node in nodes {
            graph.add_node(node);
        }
        for (before, after) in edges {
            if graph.contains_node(before) && graph.contains_node(after) {
                graph.add_edge(before, after, ());
            }
        }
        Dag { graph }
    }

    /// Every cycle (a node that needs itself is one), each by its members,
    /// in the order their first member was added.
    pub fn cycles(&self) -> Vec<Cycle> {
        let mut cycles: Vec<Cycle> = petgraph::algo::tarjan_scc(&self.graph)
            .into_iter()
            .filter(|scc| scc.len() > 1 || scc.first().is_some_and(|n| self.graph.contains_edge(n, n)))
            .map(|scc| {
                let mut members: Vec<String> = scc.into_iter().map(str::to_owned).collect();
                members.sort();
                Cycle { members }
            })
            .collect();
        let added = |c: &Cycle| {
            self.graph
                .nodes()
                .position(|n| c.members.iter().any(|m| m == n))
                .unwrap_or(usize::MAX)
        };
        cycles.sort_by_key(added);
        cycles
    }

    /// Every node after the nodes it needs; the first cycle when there is one.
    pub fn order(&self) -> Result<Vec<&'a str>, Cycle> {
        petgraph::algo::toposort(&self.graph, None).map_err(|_| {
            self.cycles()
                .into_iter()
                .next()
                .unwrap_or(Cycle { members: Vec::new() })
        })
    }

    /// The nodes by wave: wave 0 needs nothing; every other node is in the
    /// wave after the latest node it needs. Within a wave, in [`Dag::order`].
    pub fn waves(&self) -> Result<Vec<Vec<&'a str>>, Cycle> {
        let order = self.order()?;
        let mut wave_of = std::collections::HashMap::new();
        let mut waves: Vec<Vec<&'a str>> = Vec::new();
        for node in order {
            let wave = self
                .graph
                .neighbors_directed(node, petgraph::Direction::Incoming)
                .filter_map(|before| wave_of.get(before).map(|w| w + 1))
                .max()
                .unwrap_or(0);
            wave_of.insert(node, wave);
            if waves.len() <= wave {
                waves.resize_with(wave + 1, Vec::new);
            }
            waves[wave].push(node);
        }
        Ok(waves)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn waves_follow_the_latest_need() {
        //  a → b → d
        //  a → c
        //  e (alone); x is outside the graph
        let dag = Dag::new(
            ["d", "c", "b", "a", "e"],
            [("a", "b"), ("b", "d"), ("a", "c"), ("x", "e")],
        );
        let waves = dag.waves().unwrap();
        assert_eq!(waves.len(), 3);
        let mut first = waves[0].clone();
        first.sort();
        assert_eq!(first, ["a", "e"]);
        let mut second = waves[1].clone();
        second.sort();
        assert_eq!(second, ["b", "c"]);
        assert_eq!(waves[2], ["d"]);
    }

    #[test]
    fn cycles_are_named_by_their_members() {
        let dag = Dag::new(
            ["a", "b", "c", "d", "s"],
            [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("s", "s")],
        );
        let cycles = dag.cycles();
        assert_eq!(
            cycles,
            vec![
                Cycle {
                    members: vec!["a".into(), "b".into(), "c".into()]
                },
                Cycle {
                    members: vec!["s".into()]
                },
            ]
        );
        assert_eq!(dag.order().unwrap_err().to_string(), "cycle among a, b, c");
        assert_eq!(dag.waves().unwrap_err(), cycles[0]);
    }

    proptest! {
        /// On random acyclic graphs (edges only from lower to higher
        /// numbers): every node once, each after all it needs, and each
        /// wave right after its latest need.
        #[test]
        fn order_and_waves_respect_every_edge(n in 1usize..30, edges in proptest::collection::vec((0usize..30, 0usize..30), 0..80)) {
            let names: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
            let edges: Vec<(&str, &str)> = edges
                .into_iter()
                .filter(|(a, b)| a < b && *b < n)
                .map(|(a, b)| (names[a].as_str(), names[b].as_str()))
                .collect();
            let dag = Dag::new(names.iter().map(String::as_str), edges.iter().copied());
            prop_assert!(dag.cycles().is_empty());
            let order = dag.order().unwrap();
            prop_assert_eq!(order.len(), n);
            let at = |node: &str| order.iter().position(|o| *o == node).unwrap();
            let waves = dag.waves().unwrap();
            let wave = |node: &str| waves.iter().position(|w| w.contains(&node)).unwrap();
            prop_assert_eq!(waves.iter().map(Vec::len).sum::<usize>(), n);
            for (before, after) in &edges {
                prop_assert!(at(before) < at(after));
                prop_assert!(wave(before) < wave(after));
            }
            for node in &order {
                let needs: Vec<usize> = edges.iter().filter(|(_, a)| a == node).map(|(b, _)| wave(b)).collect();
                prop_assert_eq!(wave(node), needs.iter().max().map_or(0, |w| w + 1));
            }
        }
    }
}
