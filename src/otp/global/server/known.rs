//! Known nodes: which nodes each name server has been told of, and the protocol version each speaks.

use super::*;
use crate::otp::global::wire::{self, KnownNode};
use crate::term;
use eetf::Term;

impl Server {
    pub(super) fn node_vsn(&self, node: &str) -> i64 {
        if node == self.name() {
            return wire::VSN;
        }
        self.known
            .get(node)
            .or_else(|| self.pending.get(node))
            .copied()
            .unwrap_or(0)
    }

    /// `mk_known_list/2`: bare names for versions before 7.
    pub(super) fn known_list(&self, vsn: i64) -> Term {
        term::list(
            self.known
                .iter()
                .map(|(n, v)| {
                    if vsn < 7 {
                        term::atom(n)
                    } else {
                        term::tuple(vec![term::atom(n), term::int(*v)])
                    }
                })
                .collect(),
        )
    }

    /// `make_node_vsn_list/2`: every node with a version, ours where unknown.
    pub(super) fn node_vsn_list(&self, list: &[KnownNode]) -> Vec<KnownNode> {
        list.iter()
            .map(|k| KnownNode {
                node: k.node.clone(),
                vsn: Some(match k.vsn {
                    Some(v) if v != 0 => v,
                    _ => self.node_vsn(&k.node),
                }),
            })
            .collect()
    }

    /// `add_to_known/2`: the nodes that were new.
    pub(super) fn add_to_known(&mut self, list: &[KnownNode]) -> Vec<String> {
        let mut added = Vec::new();
        for k in list {
            if k.node == self.name() {
                continue;
            }
            match (self.known.get(&k.node).copied(), k.vsn) {
                (None, v) => {
                    self.known.insert(k.node.clone(), v.unwrap_or(0));
                    added.push(k.node.clone());
                }
                (Some(old), Some(v)) if old < 0 => {
                    self.known.insert(k.node.clone(), v);
                }
                _ => {}
            }
        }
        added.reverse();
        added
    }
}
